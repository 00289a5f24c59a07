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
