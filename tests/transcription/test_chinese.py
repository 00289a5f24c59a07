"""transcription.chinese: Simplified output, the prompt, the invented-line filter, CER/WER."""

import jiwer
import pytest

from transcription.chinese import (
    HALLUCINATED_LINES,
    cer,
    edit_distance,
    is_hallucination,
    is_probably_silence,
    is_repetition_loop,
    normalise_for_cer,
    scored_characters,
    normalise_for_wer,
    to_simplified,
    traditional_characters,
    wer,
)

# A caller's initial prompt (the product passes none since issue 14; the echo filter stays for
# callers that do).
A_PROMPT = "以下是与信用飞及其催收机构某某催收公司关于逾期还款协商的通话录音，内容涉及欠款、利息、减免和还款日期。"


def test_traditional_is_converted_to_simplified():
    # What Whisper base wrote for two AISHELL clips before conversion.
    assert to_simplified("廣州市佛地產中間協會分析") == "广州市佛地产中间协会分析"
    assert to_simplified("12線城市雖然也處於調整中") == "12线城市虽然也处于调整中"
    assert to_simplified("還款時間請說清楚，減免後還剩多少錢？") == "还款时间请说清楚，减免后还剩多少钱？"


def test_simplified_and_other_scripts_are_unchanged():
    text = "我下个月15号还5000元, OK? 信用飞"
    assert to_simplified(text) == text


def test_traditional_characters_lists_only_traditional_forms():
    assert traditional_characters("说話時间還钱") == "話時還"
    assert traditional_characters("说话时间还钱 abc") == ""


@pytest.mark.parametrize("line", [
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目",   # as Whisper writes it, in Traditional
    "字幕由Amara.org社区提供",
    "字幕志愿者 李宗盛",
    "优优独播剧场——YoYo Television Series Exclusive",
    "Thank you for watching",
    "Thanks for watching!",
    " thanks for watching.",
    "Subtitles by the Amara.org community",
    "请订阅我的频道",
    "中文字幕志愿者：李宗盛",
])
def test_known_invented_lines_are_recognised(line):
    assert is_hallucination(line)


def test_every_listed_line_is_recognised():
    assert all(is_hallucination(line) for line in HALLUCINATED_LINES)


@pytest.mark.parametrize("line", [
    "你这个月必须还清，不然我们就上门",
    "可以给你减免百分之三十的利息",
    "谢谢",
    "Thank you",
    "Please watch your payment date",
    "",
])
def test_real_speech_is_kept(line):
    assert not is_hallucination(line, prompt=A_PROMPT)


def test_an_echo_of_the_prompt_is_recognised_but_its_words_in_speech_are_not():
    prompt = A_PROMPT
    # What Whisper base wrote over ten seconds of silence and of faint noise with this prompt.
    assert is_hallucination("以下是与信用飞及其催收机构某某催收公司关于逾期。", prompt=prompt)
    assert is_hallucination("以下是与信用飞及其催收公司关于逾期。", prompt=prompt)
    assert is_hallucination("以下是与信用飞及其催收", prompt=prompt)
    assert not is_hallucination("以下是与信用飞及其催收", prompt=None)
    assert not is_hallucination("关于逾期还款协商", prompt=prompt)
    assert not is_hallucination("我们是信用飞的催收", prompt=prompt)


def test_repetition_loops_count_as_silence_only_when_whisper_hears_no_speech():
    assert is_repetition_loop("许语语语语语语语语语")
    assert is_repetition_loop("设计设计设计设计设计。")
    assert not is_repetition_loop("喂喂，你好")
    assert not is_repetition_loop("我我我我我不知道你说的这个")
    assert is_probably_silence("设计设计设计设计设计。", 0.98, -0.88)
    assert not is_probably_silence("设计设计设计设计设计。", 0.2, -0.88)
    # Whisper's own rule: probably no speech and low confidence.
    assert is_probably_silence("我下个月还", 0.7, -1.2)
    assert not is_probably_silence("我下个月还", 0.7, -0.3)
    assert not is_probably_silence("我下个月还", 0.5, -1.5)


def test_normalisation_for_cer():
    assert normalise_for_cer("甚至出現交易幾乎停滯的情況。") == "甚至出现交易几乎停滞的情况"
    assert normalise_for_cer("ＡＢＣ，１２３　好 的！") == "abc123好的"
    assert normalise_for_cer("“还款”——《协议》") == "还款协议"


def test_normalisation_for_wer_keeps_words():
    assert normalise_for_wer("And so, my fellow Americans,  ask NOT!") == \
        "and so my fellow americans ask not"
    assert normalise_for_wer("don't — stop") == "dont stop"


def test_edit_distance():
    assert edit_distance("", "") == 0
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("abc", "") == 3
    assert edit_distance(["a", "b"], ["b"]) == 1


def test_cer_and_wer_agree_with_jiwer():
    pairs_zh = [("甚至出现交易几乎停滞的情况", "甚至出现交易几乎停制的情况"),
                ("一二线城市虽然也处于调整中", "12线城市虽然也处于调整中"),
                ("广州市房地产中介协会分析", "广州市佛地产中间协会分析"),
                ("换一首歌", "")]
    for ref, hyp in pairs_zh:
        expected = jiwer.cer(scored_characters(ref), scored_characters(hyp) or " ")
        if hyp:
            assert cer(ref, hyp) == pytest.approx(expected)
        else:
            assert cer(ref, hyp) == 1.0
    assert cer("甚至出现交易几乎停滞的情况", "甚至出現交易幾乎停制的情況") == pytest.approx(1 / 13)
    pairs_en = [("And so, my fellow Americans", "and so my fellow american"),
                ("ask not what your country can do for you", "ask what you can do"),
                ("the hopes the dreams", "the hopes, the dreams built around it")]
    for ref, hyp in pairs_en:
        assert wer(ref, hyp) == pytest.approx(
            jiwer.wer(normalise_for_wer(ref), normalise_for_wer(hyp)))


def test_empty_reference_is_an_error():
    with pytest.raises(ValueError, match="reference text is empty"):
        cer("。，", "好")
    with pytest.raises(ValueError, match="reference text is empty"):
        wer("", "hello")


def test_a_line_of_punctuation_alone_is_invented():
    assert is_hallucination("。。。。。。。。。。。") and is_hallucination(" …… ")
    assert not is_hallucination("") and not is_hallucination("好。")


def test_digits_are_scored_as_the_characters_read_for_them():
    assert cer("一二线城市", "1-2线城市") == 0
    assert cer("还款1000元", "还款一零零零元") == 0
    assert cer("十二期", "12期") == pytest.approx(1 / 3)  # "十" is not "一": still an error
