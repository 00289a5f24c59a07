"""Reading a sentence by its resemblance to labelled examples: a small model that the rules of
a reader (conduct findings, promise suggestions) consult to call off a match that, read whole,
resembles the text they should not flag.

The model is a multinomial logistic regression over the sentence's pieces: characters and
runs of two and three characters wherever there is Chinese (no word cutting: the reading does
not depend on any lexicon's terms or on jieba), and words and runs of two and three words in
English. It is trained by `tools/train_resemblance.py` on corpus files the reader names, and
shipped as an `.npz` file (float16 weights, no pickle) that records a digest of the text it was
trained on, so a test can tell when the corpus changed and the model was not trained again.
numpy only: scikit-learn would bring scipy (about 100 MB) for a dot product. numpy itself is
imported when a model is first read or trained, not with this module: the readers are imported
by commands that never read a sentence.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from logger.words import english, has_han, has_latin

if TYPE_CHECKING:
    import numpy as np

_BLANKS = re.compile(r"\s+")


def pieces(sentence: str, marks: tuple[str, ...] = ()) -> list[str]:
    """The features of a sentence, each once, in a fixed order; `marks` are facts about it
    that its words do not hold (who said it)."""
    out: set[str] = {"m" + mark for mark in marks}
    lowered = sentence.lower()
    if has_han(lowered):
        chars = _BLANKS.sub("", lowered)
        for n in (1, 2, 3):
            out.update("c" + chars[i:i + n] for i in range(len(chars) - n + 1))
    if has_latin(lowered):
        words = [t.text for t in english(sentence) if not t.brk]
        for n in (1, 2, 3):
            out.update("w" + " ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    return sorted(out)


class Model:
    def __init__(self, classes: tuple[str, ...], features: list[str], weights: np.ndarray,
                 bias: np.ndarray, trained_on: str) -> None:
        self.classes = classes
        self.index = {feature: row for row, feature in enumerate(features)}
        import numpy as np
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.trained_on = trained_on   # the digest of the corpus text it was trained on
        self._kept: dict[tuple[str, tuple[str, ...]], dict[str, float]] = {}

    def probabilities(self, sentence: str, marks: tuple[str, ...] = ()) -> dict[str, float]:
        """The probability of each class for a sentence."""
        import numpy as np
        found = [self.index[p] for p in pieces(sentence, marks) if p in self.index]
        scores = self.bias.copy()
        if found:
            scores += self.weights[found].sum(axis=0) / math.sqrt(len(found))
        scores -= scores.max()
        chances = np.exp(scores)
        chances /= chances.sum()
        return dict(zip(self.classes, map(float, chances)))

    def chance(self, sentence: str, label: str, marks: tuple[str, ...] = ()) -> float:
        """How sure the model is that the sentence is of class `label`."""
        return self.read(sentence, marks)[label]

    def read(self, sentence: str, marks: tuple[str, ...] = ()) -> dict[str, float]:
        """`probabilities`, kept for the next time: templates and greetings repeat, and a
        reader asks of one sentence more than once (the conduct veto, then its suggestion)."""
        if (kept := self._kept.get((sentence, marks))) is not None:
            return kept
        if len(self._kept) >= 4096:
            self._kept.clear()
        kept = self._kept[sentence, marks] = self.probabilities(sentence, marks)
        return kept

    def save(self, path) -> None:
        import numpy as np
        features = sorted(self.index, key=self.index.get)
        np.savez_compressed(
            path, classes=np.frombuffer("\n".join(self.classes).encode(), dtype=np.uint8),
            features=np.frombuffer("\n".join(features).encode(), dtype=np.uint8),
            weights=self.weights.astype(np.float16), bias=self.bias,
            trained_on=np.frombuffer(self.trained_on.encode(), dtype=np.uint8))

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        import numpy as np
        with np.load(io.BytesIO(data), allow_pickle=False) as kept:
            text = {name: bytes(kept[name]).decode() for name in
                    ("classes", "features", "trained_on")}
            return cls(tuple(text["classes"].split("\n")), text["features"].split("\n"),
                       kept["weights"], kept["bias"], text["trained_on"])


class Shipped:
    """A reader's model: the file it ships (None where the file is absent: the reader then
    goes by its rules alone), or another one inside `using`."""

    def __init__(self, package: str, *path: str) -> None:
        self.package, self.path = package, path
        self._instead: list[Model | None] = []
        self._loaded: list[Model | None] = []

    def shipped(self) -> Model | None:
        if not self._loaded:
            from importlib.resources import files
            entry = files(self.package).joinpath(*self.path)
            self._loaded.append(Model.from_bytes(entry.read_bytes()) if entry.is_file()
                                else None)
        return self._loaded[0]

    def model(self) -> Model | None:
        return self._instead[-1] if self._instead else self.shipped()

    def chance(self, sentence: str, label: str, marks: tuple[str, ...] = ()) -> float:
        """How sure the model in use is that the sentence is of class `label` (0 without a
        model: the rules alone decide)."""
        current = self.model()
        return 0.0 if current is None else current.chance(sentence, label, marks)

    @contextmanager
    def using(self, other: Model | None) -> Iterator[None]:
        """Read with `other` (None: the rules alone) instead of the shipped model, in this
        block: for the training tool's sweep and for tests."""
        self._instead.append(other)
        try:
            yield
        finally:
            self._instead.pop()


# An example: (text, class), or (text, class, marks).
Example = tuple[str, str] | tuple[str, str, tuple[str, ...]]


def corpus_digest(texts: list[Example]) -> str:
    """The digest of the examples a model is trained on."""
    digest = hashlib.sha256()
    for text, label, *marks in texts:
        digest.update(f"{label}\t{text}\n".encode() if not any(marks) else
                      f"{label}\t{text}\t{' '.join(marks[0])}\n".encode())
    return digest.hexdigest()


def train(examples: list[Example], classes: tuple[str, ...], *, rounds: int = 300,
          rate: float = 0.5, l2: float = 1e-4) -> Model:
    """A model fitted to examples: balanced class weights, L2, full-batch Adam from zero, so
    the same examples give the same weights."""
    import numpy as np
    rows_of = [pieces(text, *marks) for text, _, *marks in examples]
    features = sorted({p for rows in rows_of for p in rows})
    index = {p: n for n, p in enumerate(features)}
    rows = [np.array([index[p] for p in ps], dtype=np.int64) for ps in rows_of]
    labels = np.array([classes.index(example[1]) for example in examples])
    n, k = len(examples), len(classes)
    share = n / (k * np.bincount(labels, minlength=k).clip(1))
    sample = share[labels] / share[labels].sum()
    flat = np.concatenate(rows)
    owner = np.repeat(np.arange(n), [len(r) for r in rows])
    scale = np.array([1 / math.sqrt(max(len(r), 1)) for r in rows])[owner, None]
    target = np.eye(k)[labels]
    weights, bias = np.zeros((len(features), k)), np.zeros(k)
    moments = [[np.zeros_like(weights), np.zeros_like(weights)], [np.zeros(k), np.zeros(k)]]
    for step in range(1, rounds + 1):
        scores = np.zeros((n, k))
        np.add.at(scores, owner, weights[flat] * scale)
        scores += bias
        scores -= scores.max(axis=1, keepdims=True)
        chances = np.exp(scores)
        chances /= chances.sum(axis=1, keepdims=True)
        error = (chances - target) * sample[:, None]
        grad_w = np.zeros_like(weights)
        np.add.at(grad_w, flat, error[owner] * scale)
        grad_w += l2 * weights
        for param, grad, (mean, square) in ((weights, grad_w, moments[0]),
                                            (bias, error.sum(axis=0), moments[1])):
            mean *= 0.9
            mean += 0.1 * grad
            square *= 0.999
            square += 0.001 * grad * grad
            param -= rate * (mean / (1 - 0.9 ** step)) / (
                np.sqrt(square / (1 - 0.999 ** step)) + 1e-8)
    return Model(classes, features, weights, bias, corpus_digest(examples))
