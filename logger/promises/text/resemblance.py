"""Reading a sentence by its resemblance to the labelled promise corpus, beside the rules: a
sentence from which the rules drew a suggestion, but which read whole resembles the sentences
that promise nothing (a demand with its sum and day, a reminder, a payment already made, a
hedge), gives none.

The model (`logger.resemblance`: logistic regression over characters and their runs in
Chinese, words and their runs in English) has the kinds of suggestion and "none" as its classes
(an utterance is labelled with the kind of its first expected suggestion); only "none" is
consulted. Two classes, promise and none, were measured beside it and gave a little less at
each rate of false suggestions (docs/DECISIONS.md). It is trained
by `tools/train_resemblance.py promises` on the corpus files named in `TRAINED_ON`, never on a
held-out file, and shipped as `logger/promises/text/resemblance.npz`, which records a digest of
the text it was trained on; `tests/promises/test_promise_resemblance.py` fails when the corpus
changed and the model was not trained again. It only takes suggestions away: a sentence no
rule read as a promise is never made one by resemblance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from logger.promises.text.suggestion import Kind
from logger.resemblance import Shipped

NONE = "none"
CLASSES = (NONE, *(kind.value for kind in Kind))
MODEL_FILE = "resemblance.npz"
# The corpus files the shipped model is trained on: "old" is tests/promises/data/
# promise_corpus.toml, the others tests/promises/corpus/<name>.toml.
TRAINED_ON = ("old", "dev", "dev2", "dev3", "dev4", "train_a", "train_b", "train_c", "train_d")
# A sentence the model reads as promising nothing at least this sure gives no suggestion:
# chosen on train_a and train_b, which the rules were never tuned on, each read by a model not
# trained on it (tools/train_resemblance.py promises --sweep).
VETO_AT = 0.3

# The model reads the words as they were said, so its clauses are cut by punctuation alone (not
# by clauses.py's reading, which normalises numbers and cuts at a transcript's pauses).
_CLAUSE_BREAK = re.compile(r"[，,；;。！!？?]")
_SHIPPED = Shipped("logger.promises.text", MODEL_FILE)
model, shipped, using = _SHIPPED.model, _SHIPPED.shipped, _SHIPPED.using


def promises_nothing(sentence: str, side: str | None = None,
                     stretches: Iterable[str] = ()) -> float:
    """How sure the model in use is that the sentence promises nothing (0 without a model):
    the least sure of the sentence read whole, of each of its clauses, and of each of the
    `stretches` the rules read as live (a transcript without punctuation: 上个月 已经 还了 两千 |
    这个月 十五号 再 还 两千), so that one part that reads as a promise keeps it (我周五还三千，
    不然我就真的没办法了: the whole, with its 不然, resembles a demand). `side` is who said it,
    when known ("me", "them")."""
    parts = [sentence, *(part for part in _CLAUSE_BREAK.split(sentence) if part.strip()),
             *stretches]
    return min(_SHIPPED.chance(part, NONE, marks(side)) for part in parts)


def marks(side: str | None) -> tuple[str, ...]:
    """What the model is told beside the words: who said them, when known."""
    return () if side is None else (f"side:{side}",)
