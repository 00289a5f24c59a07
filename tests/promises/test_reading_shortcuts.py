"""The shortcuts that make reading a mailbox's mail cheaper read exactly what the long way reads:
a clause is cut into words only when it holds a word of the lexicon, and a clause's offers are
read once per text."""

import pytest

from logger.promises.text.clauses import clauses, language_of
from logger.promises.text.offers import offer_kinds
from logger.promises.text.suggestion import Kind
from logger.promises.text.tokens import _lexicon, chinese_paying_words, initialize, paying_words
from tests.support.promise_corpus import SPLITS, load_cases

ZH = _lexicon()["zh"]
WORDS = sorted({*ZH["verbs"], *ZH["bound"]})
CHINESE = [c.text for path in (None, *SPLITS.values())
           for c in (load_cases() if path is None else load_cases(path))
           if language_of(c.text) == "zh"]


@pytest.mark.parametrize("word", WORDS)
def test_each_word_of_the_lexicon_is_found_where_it_is_said(word):
    text = f"好的我下周一{word}你3000"
    assert paying_words(text, chinese=True) == sorted(chinese_paying_words(text))


def test_a_clause_without_a_word_of_the_lexicon_has_no_chinese_word_of_paying():
    texts = ["尊敬的客户", "否则将影响您的征信", "您的借款已逾期12天", "客服电话400-800-1234"]
    for text in texts:
        assert chinese_paying_words(text) == [] and paying_words(text, chinese=True) == []


def test_the_corpora_read_the_same_with_and_without_the_shortcut():
    assert len(CHINESE) > 200
    found = 0
    for text in CHINESE:
        english = [m.span() for m in _lexicon()["en_rx"].finditer(text)]
        cut = sorted(english + chinese_paying_words(text))
        assert paying_words(text, chinese=True) == cut, text
        found += bool(cut)
    assert found > 100   # the corpora say paying often: the comparison is not of empties


def test_offers_read_once_per_text_are_new_lists_each_time():
    [clause] = clauses("罚息给你全免", "zh", None)
    first = offer_kinds(clause)
    assert first == [Kind.waiver]
    first.clear()
    assert offer_kinds(clause) == [Kind.waiver]


def test_a_debtor_settling_at_once_is_a_settlement_only_when_asked_to_keep_it():
    [clause] = clauses("我今天就能把本金8600一次性结清", "zh", None)
    assert offer_kinds(clause) == []
    assert offer_kinds(clause, keep_settlement=True) == [Kind.settlement]
    assert offer_kinds(clause) == []


def test_jiebas_dictionary_is_read_from_its_cache_as_jieba_reads_it(tmp_path):
    import jieba
    (tmp_path / "jieba.cache").write_bytes(b"not a cache")
    built = jieba.Tokenizer()
    built.tmp_dir = str(tmp_path)
    initialize(built)   # an unreadable cache: jieba builds the dictionary and writes the cache
    assert built.initialized and len(built.FREQ) > 100_000
    read = jieba.Tokenizer()
    read.tmp_dir = str(tmp_path)
    read.initialize = None   # the cache is read here, not by jieba
    initialize(read)
    assert read.initialized and (read.FREQ, read.total) == (built.FREQ, built.total)
    text = "我下周一把剩下的三千块转给你们"
    assert list(read.tokenize(text, HMM=False)) == list(built.tokenize(text, HMM=False))
