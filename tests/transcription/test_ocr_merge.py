"""Merging overlapping screenshots of one conversation (logger.extract.chat_merge), on segments as the
OCR job stores them."""

import itertools

from logger.extract.chat_merge import merge_conversations

T1, T2 = "2026-11-19T13:47:00Z", "2026-11-20T13:47:00Z"
TITLE = {"side": None, "time": None, "text": "信用飞客服", "box": [400, 120, 680, 190]}


def msg(side, text, time=None, y=0):
    return {"side": side, "time": time, "text": text, "box": [180, y, 760, y + 60]}


CONVERSATION = [
    msg("them", "您的借款已经逾期三十二天，请尽快处理。", T1),
    msg("me", "我最近生病住院了，收入中断。", T1),
    msg("them", "请问您什么时候可以还款？", T1),
    msg("me", "我想申请分期还款，每个月还一千元。", T1),
    msg("them", "您的申请已经提交审核。", T1),
    msg("me", "好的，谢谢", T2),
    msg("me", "请问减免的罚息会在账单上体现吗？", T2),
    msg("them", "会的，协议稍后发送到您的邮箱。", T2),
]


def plain(merged):
    return [(m["side"], m["time"], m["text"], m["sources"]) for m in merged]


def test_overlapping_screenshots_merge_without_duplicates():
    first = [TITLE, *CONVERSATION[:5]]
    second = [TITLE, *CONVERSATION[2:]]
    merged = merge_conversations([(11, first), (12, second)])
    assert [m["text"] for m in merged] == [TITLE["text"]] + [m["text"] for m in CONVERSATION]
    assert [m["sources"] for m in merged] == \
        [[11, 12], [11], [11], [11, 12], [11, 12], [11, 12], [12], [12], [12]]
    assert [m["side"] for m in merged[1:]] == [m["side"] for m in CONVERSATION]
    assert merged[4]["boxes"] == [CONVERSATION[3]["box"]] * 2


def test_the_order_of_upload_does_not_matter():
    parts = [(1, [TITLE, *CONVERSATION[:3]]), (2, [TITLE, *CONVERSATION[2:6]]),
             (3, [TITLE, *CONVERSATION[5:]])]
    results = [plain(merge_conversations(list(order))) for order in itertools.permutations(parts)]
    expected = [m["text"] for m in CONVERSATION]
    for result in results:
        assert [text for _, _, text, _ in result[1:]] == expected
        assert sorted(result[0][3]) == [1, 2, 3]


def test_bubbles_cut_by_the_screen_edge_count_as_the_same_message():
    cut_bottom = msg("me", "我想申请分期还款，", T1)          # earlier shot shows its first line
    cut_top = msg("them", "已经逾期三十二天，请尽快处理。")      # later shot: last line, no stamp
    earlier = [CONVERSATION[0], CONVERSATION[1], CONVERSATION[2], cut_bottom]
    later = [cut_top, CONVERSATION[1], CONVERSATION[2], CONVERSATION[3], CONVERSATION[4]]
    merged = merge_conversations([(1, earlier), (2, later)])
    assert plain(merged) == [
        ("them", T1, CONVERSATION[0]["text"], [1, 2]),
        ("me", T1, CONVERSATION[1]["text"], [1, 2]),
        ("them", T1, CONVERSATION[2]["text"], [1, 2]),
        ("me", T1, CONVERSATION[3]["text"], [1, 2]),
        ("them", T1, CONVERSATION[4]["text"], [2]),
    ]


def test_a_time_seen_in_one_screenshot_fills_the_other():
    earlier = CONVERSATION[:4]
    later = [msg(m["side"], m["text"]) for m in CONVERSATION[2:4]] + [CONVERSATION[4]]
    merged = merge_conversations([(1, earlier), (2, later)])
    assert [m["time"] for m in merged] == [T1] * 5


def test_ocr_differences_in_punctuation_and_spaces_still_match():
    later = [msg("them", "请问您什么时候可以还款?", T1), msg("me", "我想申请分期还款, 每个月还一千元", T1),
             CONVERSATION[4]]
    merged = merge_conversations([(1, CONVERSATION[:4]), (2, later)])
    assert len(merged) == 5 and merged[3]["sources"] == [1, 2]


def test_a_short_coincidence_is_not_an_overlap():
    earlier = [msg("them", "首期请在二十五日前还款"), msg("me", "好的")]
    later = [msg("me", "好的"), msg("them", "第二期请在下月二十五日前还款")]
    merged = merge_conversations([(1, earlier), (2, later)])
    assert [m["text"] for m in merged] == ["首期请在二十五日前还款", "好的", "好的",
                                           "第二期请在下月二十五日前还款"]


def test_different_sides_or_times_are_different_messages():
    earlier = [msg("them", "请在本月二十五日前还款一千元", T1)]
    for later in ([msg("me", "请在本月二十五日前还款一千元", T1)],
                  [msg("them", "请在本月二十五日前还款一千元", T2)]):
        assert len(merge_conversations([(1, earlier), (2, later)])) == 2


def test_screenshots_that_do_not_overlap_follow_in_the_given_order():
    merged = merge_conversations([(1, CONVERSATION[:2]), (2, CONVERSATION[4:6]), (3, [])])
    assert plain(merged) == [(m["side"], m["time"], m["text"], [1 if i < 2 else 2])
                             for i, m in enumerate(CONVERSATION[:2] + CONVERSATION[4:6])]
    assert merge_conversations([]) == []


def test_the_conversation_around_a_screenshot_follows_overlaps_only():
    from logger.extract.chat_merge import conversation_around

    first = [TITLE, *CONVERSATION[:3]]
    second = [TITLE, *CONVERSATION[2:6]]
    third = [TITLE, *CONVERSATION[5:]]
    unrelated = [TITLE, msg("them", "这是另一段完全不同的对话内容。"), msg("me", "我知道了，明天再说吧。")]
    shots = [(1, first), (2, unrelated), (3, third), (4, second)]
    # 1 overlaps 4, and 4 overlaps 3: one conversation; the shared title alone is no overlap.
    assert conversation_around(1, shots) == [1, 3, 4]
    assert conversation_around(3, shots) == [1, 3, 4]
    assert conversation_around(2, shots) == [2]


# Issue 13: segments as the layout now writes them (the title marked, sides that may be unknown,
# stamps that could not be read, cut bubbles the reader garbled).
TITLE_MARKED = {**TITLE, "kind": "title"}


def test_the_title_is_kept_once_whatever_comes_first():
    notice = {"kind": "notice", "side": None, "time": None, "text": "以下为新消息", "box": [0, 0, 1, 1]}
    first = [TITLE_MARKED, notice, *CONVERSATION[:4]]
    second = [TITLE_MARKED, *CONVERSATION[2:]]
    for order in ((1, 2), (2, 1)):
        parts = {1: first, 2: second}
        merged = merge_conversations([(i, parts[i]) for i in order])
        assert [m["text"] for m in merged if m.get("kind") == "title"] == [TITLE["text"]]
        assert merged[0]["kind"] == "title" and sorted(merged[0]["sources"]) == [1, 2]
        texts = [m["text"] for m in merged if not m.get("kind")]
        assert texts == [m["text"] for m in CONVERSATION]


def test_a_cut_bubble_the_reader_garbled_still_joins_where_other_messages_prove_it():
    """The later screenshot's first bubble lies half under the title bar: its first line
    came out as nonsense. Two whole messages after it prove the overlap; the text comes from
    the screenshot that shows the bubble whole."""
    garbled = msg("them", "メH共心芯，时状的邮箱。", None)
    later = [garbled, CONVERSATION[5], CONVERSATION[6], CONVERSATION[7]]
    earlier = CONVERSATION[:6] + [CONVERSATION[6]]
    earlier[4] = msg("them", "您的申请已经提交审核，协议会发到您的邮箱。", T1)
    merged = merge_conversations([(2, later), (1, earlier)])
    assert [m["text"] for m in merged] == [m["text"] for m in earlier] + [CONVERSATION[7]["text"]]
    assert merged[4]["sources"] == [1, 2] and merged[4]["time"] == T1


def test_a_misread_bubble_with_only_a_short_message_beside_it_is_no_proof():
    earlier = [msg("them", "请在本月二十五日前还款一千元"), msg("me", "好的")]
    later = [msg("them", "今天必须处理"), msg("me", "好的"), msg("them", "第二期下月还")]
    merged = merge_conversations([(1, earlier), (2, later)])
    assert len(merged) == 5


def marked(side, text, time=None):
    return {**msg(side, text, time), "kind": "message"}


def test_a_side_read_in_one_screenshot_completes_the_other():
    """A bubble whose side could not be told in one screenshot (its avatar under the bar, say)
    is the same message as the one read with its side in the other: it takes that side."""
    earlier = [marked(m["side"], m["text"], m["time"]) for m in CONVERSATION[:4]]
    later = [marked(None, m["text"], m["time"]) for m in CONVERSATION[2:4]] + \
        [marked(CONVERSATION[4]["side"], CONVERSATION[4]["text"])]
    merged = merge_conversations([(2, later), (1, earlier)])
    assert [m["side"] for m in merged] == [m["side"] for m in CONVERSATION[:5]]
    assert merged[2]["sources"] == [1, 2] and merged[2]["kind"] == "message"


def test_a_stamp_that_could_not_be_read_does_not_stop_the_join():
    unread = {"kind": "stamp", "side": None, "time": None, "text": "昨大 21:47", "box": [0, 0, 1, 1]}
    later = [TITLE_MARKED, unread, *[msg(m["side"], m["text"]) for m in CONVERSATION[3:6]]]
    merged = merge_conversations([(1, [TITLE_MARKED, *CONVERSATION[:5]]), (2, later)])
    assert [m["text"] for m in merged[1:]] == [m["text"] for m in CONVERSATION[:6]]
    assert all(m.get("kind") != "stamp" for m in merged)
