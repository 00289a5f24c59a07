"""Reading a sentence by its resemblance to the labelled collector utterances, beside the
lexicons: a sentence that a pattern flags from a few of its words, but that read whole resembles
lawful collection, loses the match.

The model (`logger.resemblance`: logistic regression over characters and their runs in
Chinese, words and their runs in English) has the lexicon's categories and "lawful" as its
classes. It is trained by `tools/train_resemblance.py conduct` on the conduct corpus files
named in `TRAINED_ON` (never on the held-out file) and shipped as
`logger/conduct/rules/resemblance.npz`, which records a digest of the text it was trained on;
`tests/conduct/test_resemblance.py` fails when the corpus changed and the model was not
trained again.

It never adds a finding. Adding what the patterns miss was measured and left out: a model
that has not seen a kind of plain sentence reads some of them as misconduct (self-introductions
as impersonation: 19 of 419 neutral sentences at 0.5, 6 at 0.7, against none for the patterns),
and a call holds hundreds of such sentences (docs/DECISIONS.md). What it reads as misconduct
that no pattern matched becomes a *suggestion* instead (`reading`), standing on a word of the
category (the lexicon's `[suggest]`), and counts only once a person confirms it.
"""

from __future__ import annotations

from logger.resemblance import Model, Shipped, corpus_digest, pieces, train

__all__ = ["LAWFUL", "MODEL_FILE", "TRAINED_ON", "Model", "corpus_digest", "lawful", "model",
           "pieces", "reading", "shipped", "train", "using"]

LAWFUL = "lawful"
MODEL_FILE = "resemblance.npz"
# The corpus files (tests/conduct/corpus/<name>.toml) the shipped model is trained on.
TRAINED_ON = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "train_a", "train_b", "train_c",
              "train_d")

_SHIPPED = Shipped("logger.conduct", "rules", MODEL_FILE)
model, shipped, using = _SHIPPED.model, _SHIPPED.shipped, _SHIPPED.using


def lawful(sentence: str) -> float:
    """How sure the model in use is that the sentence is lawful collection (0 without a
    model)."""
    return _SHIPPED.chance(sentence, LAWFUL)


def reading(sentence: str) -> tuple[str, float] | None:
    """The class the model in use reads the sentence as, above all others, and how sure it is
    (None without a model)."""
    current = model()
    if current is None:
        return None
    chances = current.read(sentence)
    best = max(chances, key=chances.get)
    return best, chances[best]
