"""Who said each line, in the bundle's text files (issue 13): a chat message's side, or that it
is unknown; the conversation's title apart from the messages; a stereo call's channels once
the user said whose voice each is; and overlapping screenshots of one conversation joined into
one text, each message once, with the exhibits that show it."""

from __future__ import annotations

import json

from logger.record.sides import VOICE_A, set_left_channel, set_voice_side
from storage.models import ExtractedText, TextSource
from tests.support.bundles import DAY_CALL_LINES, members, world  # noqa: F401  (a fixture)

T1, T2 = "2024-12-04T06:00:00Z", "2024-12-06T03:00:00Z"   # 14:00 and 11:00 in Shanghai
TITLE = {"kind": "title", "side": None, "time": None, "text": "信用飞客服", "box": [300, 90, 500, 130]}
M1 = "您好，这里是信用飞贷后管理中心，您的借款已经逾期三十二天。"
M2 = "我想申请分期还款，每个月还一千元，分十二个月还清，可以吗？"
M3 = "您的申请我们已经提交审核，结果会在三个工作日内通知您。"
M4 = "好的，谢谢，我等您的通知。"


def said(side, text, time, y):
    return {"kind": "message", "side": side, "time": time, "text": text,
            "box": [100, y, 600, y + 60]}


def read_again(world, name: str, segments: list[dict]) -> None:
    """A newer OCR text of the screenshot, as the layout now writes them."""
    world.session.add(ExtractedText(
        evidence_id=world.items[name].id, source=TextSource.ocr, engine="rapidocr",
        text="\n".join(s["text"] for s in segments), segments=segments))
    world.session.commit()


def test_each_message_says_its_side_or_that_it_is_unknown(world, tmp_path):
    read_again(world, "white_chat", [
        TITLE, said("them", M1, T1, 200),
        said(None, M3, T1, 300),
        {"kind": "notice", "side": None, "time": T1, "text": "对方撤回了一条消息",
         "box": [300, 400, 500, 430]},
        {"kind": "stamp", "side": None, "time": None, "text": "昨大 21:47",
         "box": [300, 450, 500, 480]},
        said("me", M2, None, 500)])
    files = members(world.export(tmp_path / "court.zip").path)
    text = files["texts/3-1_2024-12-04_聊天记录截图.ocr.txt"].decode()
    assert "对话标题：信用飞客服" in text
    assert f"[2024-12-04 14:00] 对方：{M1}" in text
    assert f"[2024-12-04 14:00] 发言方不明：{M3}" in text   # never left without a word
    assert "[2024-12-04 14:00] 提示：对方撤回了一条消息" in text
    assert "提示：昨大 21:47" in text
    assert f"\n本人：{M2}" in text
    assert "：信用飞客服" not in text.replace("对话标题：信用飞客服", "")   # not a message


def test_a_stereo_call_names_each_side_once_the_user_said_whose_channel_is_whose(world,
                                                                                 tmp_path):
    set_left_channel(world.session, world.items["day_call"], side="them", actor=world.owner)
    files = members(world.export(tmp_path / "court.zip").path)
    day = files["texts/4-1_2024-12-05_通话录音_95188.transcript.txt"].decode()
    assert f"[0:00:00.5 – 0:00:02.2] 对方：{DAY_CALL_LINES[0]}" in day
    assert f"[0:00:02.2 – 0:00:04.0] 本人：{DAY_CALL_LINES[1]}" in day
    assert "左声道：对方；右声道：本人（由用户指明）。" in day
    srt = files["texts/4-1_2024-12-05_通话录音_95188.transcript.srt"].decode()
    assert f"[对方] {DAY_CALL_LINES[0]}" in srt and f"[本人] {DAY_CALL_LINES[1]}" in srt


def test_a_mono_call_names_each_voice_and_its_gaps_once_the_user_said_whose_is_whose(world,
                                                                                   tmp_path):
    """A transcript whose voices the speaker model told apart ("A", "B"), with a line it
    could not give to either and a gap where speech gave no text."""
    item = world.items["day_call"]
    world.session.add(ExtractedText(
        evidence_id=item.id, source=TextSource.transcript, language="zh", engine="faster-whisper",
        model="base", text="".join(DAY_CALL_LINES),
        segments=[{"start": 0.5, "end": 2.25, "text": DAY_CALL_LINES[0], "speaker": "A"},
                  {"start": 2.25, "end": 4.0, "text": DAY_CALL_LINES[1], "speaker": "B"},
                  {"start": 4.0, "end": 5.0, "text": "嗯", "speaker": None},
                  {"start": 5.5, "end": 7.0, "text": "[听不清 5.5–7.0 秒]", "kind": "gap"}]))
    world.session.commit()
    path = "texts/4-1_2024-12-05_通话录音_95188.transcript.txt"
    before = members(world.export(tmp_path / "before.zip").path)[path].decode()
    assert f"说话人A：{DAY_CALL_LINES[0]}" in before and f"说话人B：{DAY_CALL_LINES[1]}" in before
    assert "由声纹模型区分" in before and "[0:00:05.5 – 0:00:07.0] [听不清 5.5–7.0 秒]" in before

    set_voice_side(world.session, item, VOICE_A, side="them", actor=world.owner)
    day = members(world.export(tmp_path / "court.zip").path)[path].decode()
    assert f"[0:00:00.5 – 0:00:02.2] 对方：{DAY_CALL_LINES[0]}" in day
    assert f"[0:00:02.2 – 0:00:04.0] 本人：{DAY_CALL_LINES[1]}" in day
    assert "[0:00:04.0 – 0:00:05.0] 嗯" in day   # no voice: no side
    assert "说话人A：对方；说话人B：本人（由用户说明）。" in day


def test_overlapping_screenshots_of_one_conversation_are_joined_in_the_bundle(world, tmp_path):
    """The two screenshots of group 3 share two messages: one more text joins them, each
    message once, in either order of upload."""
    read_again(world, "green_chat", [TITLE, said("me", M2, T1, 200), said("them", M3, T2, 300),
                                     said("me", M4, T2, 400)])
    read_again(world, "white_chat", [TITLE, said("them", M1, T1, 200), said("me", M2, T1, 300),
                                     said("them", M3, None, 400)])
    result = world.export(tmp_path / "court.zip")
    files = members(result.path)
    path = "texts/3-1_2024-12-04_聊天记录截图.conversation.txt"
    joined = files[path].decode()
    assert "证据 3-1, 3-2：同一段对话的多张相互重叠的截图" in joined
    body = joined.split("\n\n", 1)[1].strip().splitlines()
    assert body == ["对话标题：信用飞客服",
                    f"[2024-12-04 14:00] 对方：{M1}  (3-1)",
                    f"[2024-12-04 14:00] 本人：{M2}  (3-1, 3-2)",
                    f"[2024-12-06 11:00] 对方：{M3}  (3-1, 3-2)",
                    f"[2024-12-06 11:00] 本人：{M4}  (3-2)"]
    manifest = json.loads(files["manifest.json"])
    [entry] = [f for f in manifest["files"] if f["path"] == path]
    assert (entry["role"], entry["exhibits"]) == ("conversation", ["3-1", "3-2"])
    items = {i["exhibit"]: i for i in manifest["items"]}
    assert path in items["3-1"]["texts"] and path in items["3-2"]["texts"]
