"""The resemblance model beside the lexicons (logger/conduct/language/resemblance.py): trained
on the corpus as it is and never on the held-out file, the same corpus giving the same weights;
a sentence that reads as lawful loses its pattern match, and the model finds nothing itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from logger.conduct import lexicon
from logger.conduct.language import resemblance
from logger.conduct.lexicon import find_matches
from tests.support.conduct_corpus import CLASSES, HELD_OUT, load

ROOT = Path(__file__).resolve().parents[2]
EVERY = frozenset(lexicon.CATEGORY_WORDS)

# A small labelled set, apart from the corpus: whatever the shipped model learns, these tests
# read with a model of their own.
SMALL = [
    ("今晚回家路上小心点，腿打断了别怪我", "threat"),
    ("你晚上走夜路最好小心点，出了事别找我", "threat"),
    ("小心你的腿，晚上别一个人回家", "threat"),
    ("您好，您的账单本月十五号到期，请按时还款", "lawful"),
    ("您好，提醒您账单到期，可以申请分期还款", "lawful"),
    ("您的还款已经收到，谢谢您，祝您生活愉快", "lawful"),
    ("We will be at your house tonight to collect", "visit"),
    ("Our agent will come to your house tomorrow", "visit"),
    ("Your payment is due on the 15th, thank you", "lawful"),
    ("Thank you for your payment, have a nice day", "lawful"),
]


def small_model() -> resemblance.Model:
    return resemblance.train(SMALL, CLASSES, rounds=150)


def test_the_shipped_model_was_trained_on_the_corpus_as_it_is():
    """Changing a training file without training again (tools/train_resemblance.py) fails
    here: the model would not be the one the figures were measured with."""
    shipped = resemblance.shipped()
    assert shipped is not None, "logger/conduct/rules/resemblance.npz is missing"
    trained = [(u.text, u.family) for split in resemblance.TRAINED_ON for u in load(split)]
    assert shipped.trained_on == resemblance.corpus_digest(trained), \
        "the corpus changed: run tools/train_resemblance.py"
    assert shipped.classes == CLASSES


def test_the_held_out_file_is_never_trained_on():
    assert HELD_OUT not in resemblance.TRAINED_ON
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import train_resemblance
    finally:
        sys.path.remove(str(ROOT / "tools"))
    try:
        train_resemblance.Conduct.examples([HELD_OUT])
    except SystemExit as refused:
        assert HELD_OUT in str(refused)
    else:
        raise AssertionError("the training tool read the held-out file")


def test_the_same_examples_give_the_same_model_and_it_survives_a_round_trip(tmp_path):
    first, second = small_model(), small_model()
    assert np.array_equal(first.weights, second.weights)
    first.save(tmp_path / "m.npz")
    kept = resemblance.Model.from_bytes((tmp_path / "m.npz").read_bytes())
    for text, _ in SMALL:   # kept as float16
        stored, trained = kept.probabilities(text), first.probabilities(text)
        assert all(abs(stored[c] - trained[c]) < 0.01 for c in CLASSES)
    assert kept.trained_on == resemblance.corpus_digest(SMALL)


def test_a_sentence_is_read_as_the_class_it_resembles():
    model = small_model()
    chances = model.probabilities("晚上回家小心你的腿")
    assert max(chances, key=chances.get) == "threat"
    assert abs(sum(chances.values()) - 1) < 1e-6
    assert model.chance("您的账单到期了，请按时还款，谢谢", resemblance.LAWFUL) > 0.5
    assert model.chance("晚上回家小心你的腿", resemblance.LAWFUL) < 0.2
    chances = model.probabilities("Our agent will come to your house")
    assert max(chances, key=chances.get) == "visit"


def test_a_sentence_read_as_lawful_loses_its_pattern_match():
    sentence = "你再不还钱，我们就上门找你。"   # a pattern's visit threat
    with resemblance.using(None):
        assert [m.category for m in find_matches(sentence, EVERY)] == ["visit"]
    with resemblance.using(small_model()):
        assert find_matches(sentence, EVERY, veto_at=0.0) == []
        assert [m.category for m in find_matches(sentence, EVERY, veto_at=1.1)] == ["visit"]
        assert [m.category for m in find_matches(sentence, EVERY)] == ["visit"]
        # where no pattern matched, the model finds nothing that counts: at most a suggestion
        assert find_matches("今晚小心你的腿", EVERY, suggest_at=1.1) == []
        assert all(m.suggested for m in find_matches("今晚小心你的腿", EVERY))


def test_the_shipped_model_keeps_the_threats_and_calls_off_the_lawful_use():
    """What the shipped model says of sentences written here, apart from the corpus."""
    threat = "你再不还钱，我们明天就派人上门，到时候别怪我们不客气。"
    assert "visit" in {m.category for m in find_matches(threat, EVERY)}
    assert resemblance.lawful(threat) < 0.2


def test_the_training_tool_refuses_a_changed_corpus(tmp_path):
    """--check compares a model file's corpus digest with the corpus; the shipped one
    agrees."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "train_resemblance.py"),
                           "conduct", "--check", str(ROOT / "logger" / "conduct" / "rules" /
                                          resemblance.MODEL_FILE)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    small_model().save(tmp_path / "other.npz")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "train_resemblance.py"),
                           "conduct", "--check", str(tmp_path / "other.npz")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1 and "train again" in done.stdout
