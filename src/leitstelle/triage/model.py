"""The first-stage model: one linear classifier per category, numpy only.

On disk a model is a folder with two files and nothing that can run code:

- ``model.json``: format and version, the categories, their decision
  thresholds, how it was trained and how it scored;
- ``model.npz``: numpy arrays, read with ``allow_pickle=False``:
  ``vocabulary`` (UTF-8 bytes, one feature per line), ``idf`` (float32),
  ``weights`` (float32, features x categories), ``bias`` (float32) and,
  optional, ``lemmas`` (UTF-8 bytes, "word<TAB>lemma" per line: the lemma
  table that spares loading simplemma's dictionaries).

`save` writes both byte for byte the same for the same model (fixed zip
timestamps, sorted JSON), so `make seed-model` can be checked for
reproducibility. The JSON holds the SHA-256 of the arrays file; `load`
refuses an arrays file that does not match, and the hash's start is the
model's `version`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from leitstelle.triage.features import SparseRows, Vectorizer, normalise, tokens

FORMAT = "leitstelle-triage-linear"
VERSION = 1
JSON_NAME = "model.json"
ARRAYS_NAME = "model.npz"
ARRAY_NAMES = ("vocabulary", "idf", "weights", "bias")
REASON_WORDS = 5
# Punctuation that explains nothing to a person ("?" and "!" may).
QUIET = frozenset(",.;:-_'\"()[]{}/\\|*&%+=<>~`^\u2013\u2014\u2026")
# A zip entry's timestamp; fixed so that equal models give equal files.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ModelError(Exception):
    """A model folder is missing, incomplete or not a triage model."""


@dataclass
class Model:
    """A trained first-stage model."""

    vectorizer: Vectorizer
    categories: list[str]
    weights: np.ndarray  # float32, (features, categories)
    bias: np.ndarray  # float32, (categories,)
    thresholds: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)
    # the start of the arrays' SHA-256 once saved or loaded ("" before)
    version: str = ""

    # -- inference ---------------------------------------------------------

    def scores(self, rows: SparseRows) -> np.ndarray:
        """Return the probability of each category for each row."""
        out = np.zeros((rows.rows, len(self.categories)), dtype=np.float32)
        if len(rows.indices):
            contributions = rows.data[:, None] * self.weights[rows.indices]
            starts = rows.indptr[:-1]
            filled = starts < rows.indptr[1:]
            out[filled] = np.add.reduceat(contributions, starts[filled], axis=0)
        out += self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(out, -30.0, 30.0)))

    def predict(
        self, texts: list[str]
    ) -> tuple[np.ndarray, list[list[str]], SparseRows]:
        """Return probabilities, the tokens of each text, and the rows."""
        words = [tokens(normalise(text)) for text in texts]
        rows = self.vectorizer.transform_tokens(words)
        return self.scores(rows), words, rows

    def reasons(
        self, words: list[str], rows: SparseRows, row: int, categories: list[str]
    ) -> dict[str, list[str]]:
        """Return, per category, the words of one text that speak most for it.

        A feature's contribution (weight times value) is shared among the
        tokens that gave it; a word's score is the sum over its tokens.
        """
        found: dict[str, list[str]] = {code: [] for code in categories}
        indices, values = rows.row(row)
        if not len(indices) or not categories:
            return found
        per_token = self.vectorizer.token_features(words)
        lengths = [len(numbers) for numbers in per_token]
        flat = np.fromiter(
            (n for numbers in per_token for n in numbers),
            dtype=np.int64,
            count=sum(lengths),
        )
        owners = np.repeat(np.arange(len(per_token)), lengths)
        order = np.argsort(indices, kind="stable")
        found_at = np.searchsorted(indices[order], flat).clip(0, len(indices) - 1)
        where = order[found_at]
        fits = indices[where] == flat
        where, owners = where[fits], owners[fits]
        if not len(where):
            return found
        columns = [self.categories.index(code) for code in categories]
        contributions = values[:, None] * self.weights[indices][:, columns]
        occurrences = np.bincount(where, minlength=len(indices))
        shares = contributions[where] / occurrences[where, None]
        names, word_of_token = np.unique(np.array(words), return_inverse=True)
        word_ids = word_of_token[owners]
        for slot, code in enumerate(categories):
            totals = np.bincount(
                word_ids, weights=shares[:, slot], minlength=len(names)
            )
            ranked = np.lexsort((names, -totals))[: REASON_WORDS + len(QUIET)]
            found[code] = [
                str(names[i])
                for i in ranked
                if totals[i] > 0 and str(names[i]) not in QUIET
            ][:REASON_WORDS]
        return found

    # -- files -------------------------------------------------------------

    def save(self, folder: Path | str) -> Path:
        """Write the model into `folder` (created when missing)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {
            "vocabulary": text_array("\n".join(self.vectorizer.vocabulary)),
            "idf": self.vectorizer.idf.astype(np.float32),
            "weights": self.weights.astype(np.float32),
            "bias": self.bias.astype(np.float32),
        }
        if self.vectorizer.lemmas is not None:
            arrays["lemmas"] = text_array(
                "\n".join(f"{w}\t{b}" for w, b in self.vectorizer.lemmas.items())
            )
        with zipfile.ZipFile(
            folder / ARRAYS_NAME, "w", compression=zipfile.ZIP_DEFLATED
        ) as archive:
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, array, allow_pickle=False)
                entry = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, buffer.getvalue(), compresslevel=9)
        digest = hashlib.sha256((folder / ARRAYS_NAME).read_bytes()).hexdigest()
        self.version = digest[:12]
        description = {
            "arrays_sha256": digest,
            "format": FORMAT,
            "version": VERSION,
            "categories": self.categories,
            "thresholds": {c: round(self.thresholds[c], 4) for c in self.categories},
            "features": len(self.vectorizer),
            "info": self.info,
        }
        (folder / JSON_NAME).write_text(
            json.dumps(description, indent=2, sort_keys=True, ensure_ascii=False)
            + "\n",
            encoding="utf-8",
        )
        return folder


def load(folder: Path | str) -> Model:
    """Read a model folder written by `Model.save`; never runs code from it."""
    folder = Path(folder)
    try:
        description = json.loads((folder / JSON_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{folder} holds no triage model ({JSON_NAME} is missing)."
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{folder / JSON_NAME} is not valid JSON: {exc}.") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ModelError(f"{folder / JSON_NAME} does not describe a triage model.")
    if description.get("version") != VERSION:
        raise ModelError(
            f"{folder} is a triage model of version {description.get('version')}; "
            f"this Leitstelle reads version {VERSION}."
        )
    try:
        digest = hashlib.sha256((folder / ARRAYS_NAME).read_bytes()).hexdigest()
    except FileNotFoundError:
        raise ModelError(
            f"{folder} is incomplete ({ARRAYS_NAME} is missing)."
        ) from None
    expected = description.get("arrays_sha256")
    if expected is not None and expected != digest:
        raise ModelError(
            f"{folder / ARRAYS_NAME} is not the file {JSON_NAME} describes "
            "(its SHA-256 differs): damaged or replaced."
        )
    try:
        with np.load(folder / ARRAYS_NAME, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in ARRAY_NAMES}
            if "lemmas" in stored.files:
                arrays["lemmas"] = stored["lemmas"]
    except FileNotFoundError:
        raise ModelError(
            f"{folder} is incomplete ({ARRAYS_NAME} is missing)."
        ) from None
    except KeyError as exc:
        raise ModelError(f"{folder / ARRAYS_NAME} lacks the array {exc}.") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{folder / ARRAYS_NAME} cannot be read: {exc}.") from None
    model = from_arrays(description, arrays, folder)
    model.version = digest[:12]
    return model


def from_arrays(description: dict, arrays: dict, folder: Path) -> Model:
    categories = description.get("categories")
    thresholds = description.get("thresholds")
    if not isinstance(categories, list) or not isinstance(thresholds, dict):
        raise ModelError(f"{folder / JSON_NAME} lacks categories or thresholds.")
    vocabulary = array_text(arrays["vocabulary"], folder)
    features = vocabulary.split("\n") if vocabulary else []
    lemmas = None
    if "lemmas" in arrays:
        lines = array_text(arrays["lemmas"], folder)
        pairs = [line.split("\t") for line in lines.split("\n")] if lines else []
        if not all(len(pair) == 2 for pair in pairs):
            raise ModelError(f"{folder}: the lemma table is damaged.")
        lemmas = dict(pairs)
    idf, weights, bias = arrays["idf"], arrays["weights"], arrays["bias"]
    shapes_fit = (
        idf.shape == (len(features),)
        and weights.shape == (len(features), len(categories))
        and bias.shape == (len(categories),)
        and all(c in thresholds for c in categories)
    )
    if not shapes_fit:
        raise ModelError(f"{folder}: the arrays do not fit the description.")
    return Model(
        vectorizer=Vectorizer(features, idf.astype(np.float32), lemmas),
        categories=[str(c) for c in categories],
        weights=np.ascontiguousarray(weights, dtype=np.float32),
        bias=bias.astype(np.float32),
        thresholds={c: float(thresholds[c]) for c in categories},
        info=dict(description.get("info") or {}),
    )


def text_array(text: str) -> np.ndarray:
    """Return `text` as an array of its UTF-8 bytes (no pickle needed)."""
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def array_text(array: np.ndarray, folder: Path) -> str:
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ModelError(f"{folder}: a text array has the wrong type.")
    try:
        return array.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ModelError(f"{folder}: a text array is not UTF-8.") from None
