"""The promise resemblance model beside the rules (logger/promises/text/resemblance.py): trained
on the corpus as it is and never on a held-out file; a sentence that reads as promising nothing
loses the rules' suggestion, and the model suggests nothing itself."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

from logger import resemblance as base
from logger.promises.text import resemblance, suggest_promises
from tests.support.promise_corpus import HELD_OUT, ZONE, load_split

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "train_resemblance.py"
AT = datetime(2024, 12, 3, 15, 30, tzinfo=ZONE)
NONE, PAYMENT = resemblance.NONE, "payment"

# A small labelled set, apart from the corpus: these tests read with a model of their own.
SMALL = [
    ("我明天还你们三千", PAYMENT),
    ("我下周五把两千转过去", PAYMENT),
    ("这个月底我一定还五千", PAYMENT),
    ("I will pay 300 dollars on Friday", PAYMENT),
    ("你必须明天之前还三千，否则后果自负", NONE),
    ("你们必须今天还清两千，不然就上报", NONE),
    ("您本期账单三千元将于明天到期，请按时还款", NONE),
    ("You must pay 300 dollars by Friday or else", NONE),
]


def small_model() -> base.Model:
    return base.train(SMALL, resemblance.CLASSES, rounds=150)


def test_the_shipped_model_was_trained_on_the_corpus_as_it_is():
    """Changing a training file without training again (tools/train_resemblance.py promises)
    fails here: the model would not be the one the figures were measured with."""
    shipped = resemblance.shipped()
    assert shipped is not None, "logger/promises/text/resemblance.npz is missing"
    trained = [(c.text, c.expect[0]["kind"] if c.expect else NONE, resemblance.marks(c.side))
               for split in resemblance.TRAINED_ON for c in load_split(split)]
    assert shipped.trained_on == base.corpus_digest(trained), \
        "the corpus changed: run tools/train_resemblance.py promises"
    assert shipped.classes == resemblance.CLASSES
    done = subprocess.run([sys.executable, str(TOOL), "promises", "--check",
                           str(ROOT / "logger" / "promises" / "text" / resemblance.MODEL_FILE)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_held_out_file_is_ever_trained_on():
    assert not set(HELD_OUT) & set(resemblance.TRAINED_ON)
    sys.path.insert(0, str(TOOL.parent))
    try:
        import train_resemblance
    finally:
        sys.path.remove(str(TOOL.parent))
    for name in HELD_OUT:
        try:
            train_resemblance.Promises.examples(["dev", name])
        except SystemExit as refused:
            assert name in str(refused)
        else:
            raise AssertionError(f"the training tool read the held-out file {name}")


def test_a_sentence_read_as_promising_nothing_loses_the_rules_suggestion():
    sentence = "你明天之前还三千。"   # the rules read a payment, with no subject
    with resemblance.using(None):
        assert [s.amount for s in suggest_promises(sentence, at=AT)] == [3000]
    model = small_model()
    assert model.chance(sentence, NONE) > 0.5
    with resemblance.using(model):
        assert suggest_promises(sentence, at=AT, veto_at=0.5) == []
        assert [s.amount for s in suggest_promises(sentence, at=AT, veto_at=1.1)] == [3000]
        # a promise keeps its suggestion; the model makes none where the rules made none
        assert [s.amount for s in suggest_promises("我明天还三千。", at=AT, veto_at=0.5)] == [3000]
        assert suggest_promises("我明天一定还", at=AT, veto_at=0.0) == []


def test_without_a_model_the_rules_alone_decide():
    with resemblance.using(None):
        assert resemblance.promises_nothing("你必须明天还三千") == 0.0


# Written here, apart from the corpus: sentences the rules read as promises that promise
# nothing (a refusal with its reasons, a statement, a report of the app, a friend's money).
CALLED_OFF = [("工资十五号才发 房租还要交三千 月底还你们两千那是不可能的", None),
              ("这个月底还两千对我来说太难了", None),
              ("Your account shows a payment of $250 scheduled for Friday.", None),
              ("我朋友周五还我两千，到时候再说", "me"),
              ("app上显示12月10日应还款2000元", "me")]
KEPT = [("我周五还三千，不然我就真的没办法了", "me"), ("I'll pay $200 on Friday.", "me"),
        ("下周五之前把五千块钱还了，我们就不再联系你家人。", "them")]


def test_the_shipped_model_calls_off_what_the_rules_misread_and_keeps_promises():
    """A learned reading moves with its training text, so this asks for what should hold of
    any model worth shipping: every misread sentence reads as promising nothing more surely
    than every promise does, most of them are called off, and no promise is."""
    for text, side in CALLED_OFF:
        with resemblance.using(None):
            assert suggest_promises(text, at=AT, side=side), text
    called_off = [text for text, side in CALLED_OFF
                  if suggest_promises(text, at=AT, side=side) == []]
    assert len(called_off) >= 3, called_off
    for text, side in KEPT:
        assert suggest_promises(text, at=AT, side=side), text
    assert min(resemblance.promises_nothing(t, s) for t, s in CALLED_OFF) > max(
        resemblance.promises_nothing(t, s) for t, s in KEPT)


def test_numpy_is_imported_with_the_first_model_not_with_the_reader():
    """Commands that import the promise reader but read no sentence (the CLI's start-up) do not
    pay for numpy."""
    done = subprocess.run([sys.executable, "-c", "import sys, logger.promises.text, "
                           "logger.conduct.lexicon; print('numpy' in sys.modules)"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "False", done.stdout + done.stderr
