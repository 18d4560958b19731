"""Turning a text into the features of the linear model.

Three kinds of feature, each a string, named by its first character:

- ``c``: character n-grams (2 to 5) of each lower-cased word with a space on
  either side, so "Einbruch" and "eingebrochen" share "einb" and typos keep
  most of their grams;
- ``w``: the word's lemma (simplemma, German then English), so inflected
  forms ("Messern", "bedrohe", "brennt") meet their base form; emoji and
  punctuation marks are words of their own;
- ``b``: pairs of neighbouring lemmas ("rufen polizei").

Weights are tf-idf with a logarithmic term frequency, L2-normalised per kind
(characters on one side, words and pairs on the other), as scikit-learn's
TfidfVectorizer(sublinear_tf=True) does. `Vectorizer` maps a batch of texts
to a sparse matrix in plain numpy arrays (CSR: data, indices, indptr).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex
import simplemma

# Longer texts are cut: a comment of several pages is classified by its start.
MAX_CHARS = 5000
# Longer "words" (hashes, base64, keyboard mashing) give grams of their start.
MAX_WORD = 30
NGRAM_MIN = 2
NGRAM_MAX = 5
LEMMA_LANGUAGES = ("de", "en")
CHAR_BLOCK = 0
WORD_BLOCK = 1

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Combining and enclosing marks, control, format, private-use and surrogate
# code points, except line breaks, tabs and the emoji zero-width joiner.
# Emoji skin-tone modifiers go too: "👍🏻" and "👍" are the same word.
_INVISIBLE = regex.compile(
    r"(?![\n\t\u200d])[\p{Mn}\p{Me}\p{Cc}\p{Cf}\p{Co}\p{Cs}\U0001F3FB-\U0001F3FF]"
)
_REPEAT = re.compile(r"(.)\1{2,}")


def normalise(text: str) -> str:
    """Return `text` cut, NFKC-normalised, lower-cased, without combining marks.

    Stacked combining marks ("zalgo"), control characters and lone
    surrogates are dropped; links and mentions become the words "url" and
    "@user"; a character repeated more than twice is kept twice ("!!!!!"
    and "!!!" look alike, "sooooo" becomes "soo").
    """
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS])
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    text = _URL.sub(" url ", text)
    text = _MENTION.sub(" @user ", text)
    text = _REPEAT.sub(r"\1\1", text)
    return text.lower()


def tokens(text: str) -> list[str]:
    """Return the words and single symbols of a normalised text."""
    return _TOKEN.findall(text)


@lru_cache(maxsize=200_000)
def lemma(token: str) -> str:
    """Return the lower-cased lemma of `token` (itself when unknown)."""
    if not token[0].isalpha():
        return token
    try:
        return simplemma.lemmatize(token, lang=LEMMA_LANGUAGES).lower()
    except (ValueError, RuntimeError):  # pragma: no cover - simplemma oddities
        return token


def char_grams(token: str) -> list[str]:
    """Return the character n-gram features of one word."""
    if not token[0].isalnum():
        return []
    padded = f" {token[:MAX_WORD]} "
    grams = []
    for size in range(NGRAM_MIN, NGRAM_MAX + 1):
        grams.extend(
            "c" + padded[start : start + size]
            for start in range(len(padded) - size + 1)
        )
    return grams


def analyse(text: str) -> tuple[list[str], list[list[str]]]:
    """Return the tokens of `text` and, for each, the features it gives.

    A pair feature belongs to the pair's first token.
    """
    words = tokens(normalise(text))
    lemmas = [lemma(word) for word in words]
    per_token = []
    for position, word in enumerate(words):
        features = char_grams(word)
        features.append("w" + lemmas[position])
        if position + 1 < len(words):
            features.append(f"b{lemmas[position]} {lemmas[position + 1]}")
        per_token.append(features)
    return words, per_token


def feature_counts(text: str) -> Counter[str]:
    """Return how often each feature occurs in `text` (for training)."""
    counts: Counter[str] = Counter()
    for features in analyse(text)[1]:
        counts.update(features)
    return counts


@dataclass(frozen=True)
class SparseRows:
    """A batch of feature rows in CSR form (numpy arrays only)."""

    data: np.ndarray  # float32 weights
    indices: np.ndarray  # int32 feature numbers
    indptr: np.ndarray  # int64, len = rows + 1

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def row(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[number], self.indptr[number + 1]
        return self.indices[start:end], self.data[start:end]


class Vectorizer:
    """Maps texts to tf-idf rows over a fixed vocabulary."""

    CACHE_LIMIT = 100_000

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: np.ndarray,
        lemmas: dict[str, str] | None = None,
    ) -> None:
        self.vocabulary = list(vocabulary)
        # word -> lemma for the words whose lemma is a feature (see
        # `lemma_table`); without it simplemma is asked (and its dictionaries
        # take some 130 MB of memory).
        self.lemmas = lemmas
        self.index = {feature: number for number, feature in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.block = np.array(
            [WORD_BLOCK if feature[0] != "c" else CHAR_BLOCK for feature in vocabulary],
            dtype=np.int64,
        )
        # word -> (numbers of its known character grams and lemma, its lemma)
        self._word_cache: dict[str, tuple[tuple[int, ...], str]] = {}

    def __len__(self) -> int:
        return len(self.vocabulary)

    def word_features(self, word: str) -> tuple[tuple[int, ...], str]:
        """Return the known feature numbers of one word, and its lemma."""
        known = self._word_cache.get(word)
        if known is None:
            if len(self._word_cache) >= self.CACHE_LIMIT:
                self._word_cache.clear()
            index = self.index
            base = lemma(word) if self.lemmas is None else self.lemmas.get(word, word)
            features = [*char_grams(word), "w" + base]
            known = (tuple(index[f] for f in features if f in index), base)
            self._word_cache[word] = known
        return known

    def token_features(self, words: Sequence[str]) -> list[list[int]]:
        """Return, per token, the numbers of the known features it gives."""
        index = self.index
        looked_up = [self.word_features(word) for word in words]
        result = []
        for position, (numbers, base) in enumerate(looked_up):
            numbers = list(numbers)
            if position + 1 < len(words):
                pair = index.get(f"b{base} {looked_up[position + 1][1]}")
                if pair is not None:
                    numbers.append(pair)
            result.append(numbers)
        return result

    def transform(self, texts: Iterable[str]) -> SparseRows:
        """Return the tf-idf rows of `texts`."""
        return self.transform_tokens(tokens(normalise(text)) for text in texts)

    def transform_tokens(self, documents: Iterable[Sequence[str]]) -> SparseRows:
        """Return the tf-idf rows of texts given as their tokens."""
        index_get = self.index.get
        cache_get = self._word_cache.get
        word_features = self.word_features
        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for words in documents:
            flat: list[int] = []
            previous = None
            for word in words:
                known = cache_get(word) or word_features(word)
                flat.extend(known[0])
                if previous is not None:
                    pair = index_get(f"b{previous} {known[1]}")
                    if pair is not None:
                        flat.append(pair)
                previous = known[1]
            counter = Counter(flat)
            indices.extend(counter.keys())
            counts.extend(counter.values())
            indptr.append(len(indices))
        return self.weigh(indices, counts, indptr)

    def transform_counts(self, documents: Iterable[Counter[str]]) -> SparseRows:
        """Return the tf-idf rows of texts given as `feature_counts`."""
        index = self.index
        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for counter in documents:
            for feature, count in counter.items():
                number = index.get(feature)
                if number is not None:
                    indices.append(number)
                    counts.append(count)
            indptr.append(len(indices))
        return self.weigh(indices, counts, indptr)

    def weigh(
        self, indices: list[int], counts: list[int], indptr: list[int]
    ) -> SparseRows:
        index_array = np.asarray(indices, dtype=np.int32)
        pointer = np.asarray(indptr, dtype=np.int64)
        data = (1.0 + np.log(np.asarray(counts, dtype=np.float32))) * self.idf[
            index_array
        ]
        if len(index_array):
            rows = np.repeat(np.arange(len(pointer) - 1), np.diff(pointer))
            groups = rows * 2 + self.block[index_array]
            norms = np.sqrt(
                np.bincount(groups, weights=data * data, minlength=2 * len(pointer))
            )
            data = data / np.maximum(norms[groups], 1e-12)
        return SparseRows(data.astype(np.float32), index_array, pointer)


def build_vocabulary(
    documents: Sequence[Counter[str]], *, min_df: int = 2
) -> tuple[list[str], np.ndarray]:
    """Return the sorted features in at least `min_df` documents, and their idf.

    idf = ln((1 + n) / (1 + df)) + 1, scikit-learn's smoothed idf.
    """
    frequency: Counter[str] = Counter()
    for counts in documents:
        frequency.update(counts.keys())
    vocabulary = sorted(f for f, df in frequency.items() if df >= min_df)
    total = len(documents)
    idf = np.array(
        [math.log((1 + total) / (1 + frequency[f])) + 1.0 for f in vocabulary],
        dtype=np.float32,
    )
    return vocabulary, idf


@lru_cache(maxsize=4)
def _dictionary(language: str):
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    return DefaultDictionaryFactory().get_dictionary(language)


def lemma_table(vocabulary: Sequence[str], words: Iterable[str] = ()) -> dict[str, str]:
    """Return word -> lemma for every word whose lemma is a feature.

    The candidates: each form in simplemma's German and English dictionaries
    whose lemma is a word feature, plus `words` (the training tokens, so that
    lemmas simplemma derives by rule are kept). A word mapped to itself is
    left out (a word without an entry stands for itself). With the table, a
    model classifies without simplemma and gives the same features for every
    word in it.
    """
    known = {feature[1:] for feature in vocabulary if feature[0] == "w"}
    candidates = set(words)
    for language in LEMMA_LANGUAGES:
        for form, base in _dictionary(language).items():
            if base.lower() in known:
                candidates.add(form.lower())
    table = {}
    for form in candidates:
        if not form or not form[0].isalpha():
            continue
        base = lemma(form)
        if base != form and base in known:
            table[form] = base
    return dict(sorted(table.items()))
