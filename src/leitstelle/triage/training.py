"""Training and evaluating first-stage models (scikit-learn, offline).

Data: `Record`s read from JSON Lines (``{"text": …, "labels": [...]}``, every
category known: what is not listed is negative) or from the GermEval 2018
TSV (only "abuse" known: OFFENSE is abuse, OTHER is not). Each category gets
its own logistic regression on the records where it is known; the
coefficients are exported into a numpy-only `Model`.

Thresholds come from out-of-fold probabilities: the best F1 (for abuse the
best GermEval-style score, for threat the best F2, which weighs recall
twice), except for emergency, where the threshold is the highest one that
still finds `RECALL_TARGETS` of them: a missed emergency is worse than a
false alarm.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from leitstelle.triage import categories as cat
from leitstelle.triage.features import (
    SparseRows,
    Vectorizer,
    build_vocabulary,
    feature_counts,
    lemma_table,
    normalise,
    tokens,
)
from leitstelle.triage.model import Model

SEED = 20181
FOLDS = 5
C = 10.0
MIN_DF = 2
DEFAULT_THRESHOLD = 0.5
RECALL_TARGETS = {cat.EMERGENCY: 0.95}
# Threats weigh recall twice as much as precision (F2); the rest use F1.
F_BETA = {cat.THREAT: 2.0}
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
MAX_TEXT = 100_000


class DataError(ValueError):
    """Training or evaluation data that cannot be used, with the reason."""


@dataclass(frozen=True)
class Record:
    """One labelled text; `known` None means every category is known."""

    text: str
    labels: frozenset[str]
    known: frozenset[str] | None = None
    source: str = ""

    def knows(self, category: str) -> bool:
        return self.known is None or category in self.known


# -- reading -----------------------------------------------------------------


def read_jsonl(path: Path | str, *, source: str = "") -> list[Record]:
    """Read `{"text": …, "labels": [...]}` lines; raise DataError naming the line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path} cannot be read: {exc.strerror}.") from None
    records = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}, line {number}: not valid UTF-8 (byte {exc.start + 1})."
            ) from None
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}, line {number}: not JSON ({exc.msg}).") from None
        records.append(record_from(item, where=f"{path}, line {number}", source=source))
    if not records:
        raise DataError(f"{path} holds no examples.")
    return records


def record_from(item: object, *, where: str, source: str = "") -> Record:
    if not isinstance(item, dict):
        raise DataError(f"{where}: expected an object with text and labels.")
    text, labels = item.get("text"), item.get("labels", [])
    if not isinstance(text, str):
        raise DataError(f"{where}: text must be a string.")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise DataError(f"{where}: labels must be a list of category codes.")
    unknown = cat.check_codes(labels)
    if unknown:
        raise DataError(
            f"{where}: unknown categories {', '.join(sorted(unknown))} "
            f"(known: {', '.join(cat.CODES)})."
        )
    return Record(text[:MAX_TEXT], frozenset(labels), source=source)


def read_germeval(path: Path | str) -> list[Record]:
    """Read the GermEval 2018 TSV: text, OFFENSE/OTHER, fine label."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"{path} cannot be read: {exc.strerror}.") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 (byte {exc.start + 1}).") from None
    records = []
    known = frozenset({cat.ABUSE})
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2 or parts[1] not in {"OFFENSE", "OTHER"}:
            raise DataError(
                f"{path}, line {number}: expected text<TAB>OFFENSE|OTHER<TAB>label."
            )
        text = parts[0].replace("|LBR|", "\n")
        labels = frozenset({cat.ABUSE}) if parts[1] == "OFFENSE" else frozenset()
        records.append(Record(text[:MAX_TEXT], labels, known, source="germeval2018"))
    if not records:
        raise DataError(f"{path} holds no examples.")
    return records


def read_data(path: Path | str, data_format: str = "jsonl") -> list[Record]:
    if data_format == "germeval2018":
        return read_germeval(path)
    return read_jsonl(path)


# -- training ----------------------------------------------------------------


def present_categories(records: Sequence[Record]) -> list[str]:
    """Return the categories some record is labelled with, in canonical order."""
    seen = {label for record in records for label in record.labels}
    return [code for code in cat.CODES if code in seen]


def label_matrix(records: Sequence[Record], categories: Sequence[str]):
    """Return (y, known) boolean arrays of shape (records, categories)."""
    y = np.array([[c in r.labels for c in categories] for r in records], dtype=bool)
    known = np.array([[r.knows(c) for c in categories] for r in records], dtype=bool)
    return y.reshape(len(records), len(categories)), known.reshape(y.shape)


def to_scipy(rows: SparseRows, width: int):
    from scipy.sparse import csr_matrix

    return csr_matrix((rows.data, rows.indices, rows.indptr), shape=(rows.rows, width))


def fit_arrays(
    counts: Sequence[Counter[str]],
    y: np.ndarray,
    known: np.ndarray,
    categories: Sequence[str],
    *,
    c: float | dict[str, float] = C,
    seed: int = SEED,
) -> tuple[Vectorizer, np.ndarray, np.ndarray]:
    """Fit one logistic regression per category; return vectorizer, W, b."""
    from sklearn.linear_model import LogisticRegression

    vocabulary, idf = build_vocabulary(counts, min_df=MIN_DF)
    if not vocabulary:
        vocabulary, idf = build_vocabulary(counts, min_df=1)
    vectorizer = Vectorizer(vocabulary, idf)
    matrix = to_scipy(vectorizer.transform_counts(counts), len(vocabulary))
    weights = np.zeros((len(vocabulary), len(categories)), dtype=np.float32)
    bias = np.zeros(len(categories), dtype=np.float32)
    for column, code in enumerate(categories):
        rows = np.flatnonzero(known[:, column])
        target = y[rows, column]
        if target.all() or not target.any():
            raise DataError(
                f"Category {code} needs examples with it and without it "
                f"({int(target.sum())} of {len(rows)} have it)."
            )
        classifier = LogisticRegression(
            C=c.get(code, C) if isinstance(c, dict) else c,
            class_weight="balanced",
            solver="liblinear",
            max_iter=1000,
            random_state=seed,
        )
        classifier.fit(matrix[rows], target)
        weights[:, column] = classifier.coef_[0]
        bias[column] = classifier.intercept_[0]
    return vectorizer, weights, bias


def out_of_fold(
    counts: Sequence[Counter[str]],
    y: np.ndarray,
    known: np.ndarray,
    categories: Sequence[str],
    *,
    folds: int = FOLDS,
    seed: int = SEED,
    c: float | dict[str, float] = C,
) -> np.ndarray:
    """Return out-of-fold probabilities (NaN where a category is unknown).

    Folds are drawn per stratum (the record's first label, and which
    categories it knows) so each fold gets its share of every category.
    """
    rng = np.random.default_rng(seed)
    fold_of = np.full(len(counts), -1)
    strata: dict[tuple[int, int], list[int]] = {}
    for row in range(len(counts)):
        positive = np.flatnonzero(y[row] & known[row])
        knows = np.flatnonzero(known[row])
        key = (
            int(positive[0]) if len(positive) else -1,
            int(knows[0]) if len(knows) else -1,
        )
        strata.setdefault(key, []).append(row)
    for key in sorted(strata):
        members = np.array(strata[key])
        rng.shuffle(members)
        offset = int(rng.integers(folds))
        fold_of[members] = (np.arange(len(members)) + offset) % folds
    probabilities = np.full(y.shape, np.nan, dtype=np.float64)
    for fold in range(folds):
        test = np.flatnonzero(fold_of == fold)
        train = np.flatnonzero(fold_of != fold)
        trainable = [
            column
            for column in range(len(categories))
            if 0
            < y[train, column][known[train, column]].sum()
            < known[train, column].sum()
        ]
        if not len(test) or not trainable:
            continue
        vectorizer, weights, bias = fit_arrays(
            [counts[i] for i in train],
            y[train][:, trainable],
            known[train][:, trainable],
            [categories[i] for i in trainable],
            seed=seed,
            c=c,
        )
        model = Model(vectorizer, [categories[i] for i in trainable], weights, bias, {})
        scores = model.scores(vectorizer.transform_counts([counts[i] for i in test]))
        for position, column in enumerate(trainable):
            probabilities[test, column] = scores[:, position]
    probabilities[~known] = np.nan
    return probabilities


# -- metrics -----------------------------------------------------------------


def binary_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 of the positive class; GermEval-style score; support.

    The GermEval score is the harmonic mean of the macro precision and the
    macro recall over the two classes (positive and negative).
    """
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    tp = int((truth & predicted).sum())
    fp = int((~truth & predicted).sum())
    fn = int((truth & ~predicted).sum())
    tn = int((~truth & ~predicted).sum())

    def ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    f1 = ratio(2 * tp, 2 * tp + fp + fn)
    macro_p = (precision + ratio(tn, tn + fn)) / 2
    macro_r = (recall + ratio(tn, tn + fp)) / 2
    germeval = 2 * macro_p * macro_r / (macro_p + macro_r) if macro_p + macro_r else 0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "germeval_f1": round(germeval, 4),
        "support": int(truth.sum()),
    }


def category_metrics(
    y: np.ndarray,
    known: np.ndarray,
    probabilities: np.ndarray,
    categories: Sequence[str],
    thresholds: dict[str, float],
) -> dict[str, dict[str, float]]:
    result = {}
    for column, code in enumerate(categories):
        rows = known[:, column] & ~np.isnan(probabilities[:, column])
        if not rows.any():
            continue
        predicted = probabilities[rows, column] >= thresholds.get(code, 0.5)
        result[code] = binary_metrics(y[rows, column], predicted)
    return result


def choose_threshold(code: str, truth: np.ndarray, probability: np.ndarray) -> float:
    """Return the decision threshold for one category (see the module doc)."""
    if not truth.any() or truth.all():
        return DEFAULT_THRESHOLD
    target = RECALL_TARGETS.get(code)
    if target is not None:
        reaching = [
            t for t in THRESHOLD_GRID if (probability[truth] >= t).mean() >= target
        ]
        return float(max(reaching)) if reaching else float(THRESHOLD_GRID[0])
    beta = F_BETA.get(code, 1.0)

    def score(threshold: float) -> float:
        predicted = probability >= threshold
        if code == cat.ABUSE:
            return binary_metrics(truth, predicted)["germeval_f1"]
        return f_beta(truth, predicted, beta)

    best = max((score(t), -abs(t - 0.5), t) for t in THRESHOLD_GRID)
    return float(best[2])


def f_beta(truth: np.ndarray, predicted: np.ndarray, beta: float) -> float:
    tp = float((truth & predicted).sum())
    fp = float((~truth & predicted).sum())
    fn = float((truth & ~predicted).sum())
    weight = beta * beta
    denominator = (1 + weight) * tp + weight * fn + fp
    return (1 + weight) * tp / denominator if denominator else 0.0


def choose_thresholds(y, known, probabilities, categories) -> dict[str, float]:
    thresholds = {}
    for column, code in enumerate(categories):
        rows = known[:, column] & ~np.isnan(probabilities[:, column])
        thresholds[code] = choose_threshold(
            code, y[rows, column], probabilities[rows, column]
        )
    return thresholds


# -- the whole job -----------------------------------------------------------


@dataclass
class TrainingResult:
    model: Model
    metrics: dict[str, dict[str, float]]


def train(
    records: Sequence[Record],
    *,
    folds: int = FOLDS,
    seed: int = SEED,
    info: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Cross-validate for thresholds and scores, then fit on all `records`.

    Only categories that occur in the labels are trained (and predicted).
    """
    say = progress or (lambda _message: None)
    categories = present_categories(records)
    if not categories:
        raise DataError("No example has a label: nothing to learn.")
    counts = [feature_counts(record.text) for record in records]
    y, known = label_matrix(records, categories)
    for column, code in enumerate(categories):
        have = int(y[known[:, column], column].sum())
        if have == int(known[:, column].sum()):
            raise DataError(
                f"Every example is labelled {code}: add examples without it."
            )
    folds = max(2, min(folds, min_positives(y, known)))
    say(f"Cross-validating on {len(records)} examples ({folds} folds) …")
    probabilities = out_of_fold(counts, y, known, categories, folds=folds, seed=seed)
    thresholds = choose_thresholds(y, known, probabilities, categories)
    metrics = category_metrics(y, known, probabilities, categories, thresholds)
    say("Fitting the final model …")
    vectorizer, weights, bias = fit_arrays(counts, y, known, categories, seed=seed)
    vectorizer = with_lemma_table(vectorizer, records)
    details = {
        "trained_on": len(records),
        "positives": {c: int(y[:, i].sum()) for i, c in enumerate(categories)},
        "cross_validation": {"folds": folds, "seed": seed, "categories": metrics},
        "regularisation_c": C,
        "min_df": MIN_DF,
        **(info or {}),
    }
    model = Model(vectorizer, list(categories), weights, bias, thresholds, details)
    return TrainingResult(model, metrics)


def with_lemma_table(vectorizer: Vectorizer, records: Sequence[Record]) -> Vectorizer:
    """Return the vectorizer with its lemma table, for a model to ship."""
    words = {word for record in records for word in tokens(normalise(record.text))}
    table = lemma_table(vectorizer.vocabulary, words)
    return Vectorizer(vectorizer.vocabulary, vectorizer.idf, table)


def min_positives(y: np.ndarray, known: np.ndarray) -> int:
    positives = [int(y[known[:, i], i].sum()) for i in range(y.shape[1])]
    return min(positives) if positives else FOLDS


def evaluate(model: Model, records: Sequence[Record], *, batch: int = 500) -> dict:
    """Score `model` on `records`: the JSON shape of `triage evaluate --json`."""
    from leitstelle.triage.classify import classify_batch

    categories = present_categories(records)
    started = time.perf_counter()
    results = []
    for start in range(0, len(records), batch):
        texts = [r.text for r in records[start : start + batch]]
        results.extend(classify_batch(texts, model=model, reasons=False))
    elapsed = max(time.perf_counter() - started, 1e-9)
    per_category = {}
    for code in categories:
        rows = [i for i, r in enumerate(records) if r.knows(code)]
        truth = np.array([code in records[i].labels for i in rows], dtype=bool)
        predicted = np.array([code in results[i].categories for i in rows], dtype=bool)
        per_category[code] = binary_metrics(truth, predicted)
    f1s = [m["f1"] for m in per_category.values()]
    return {
        "categories": per_category,
        "macro_f1": round(float(np.mean(f1s)), 4) if f1s else 0.0,
        "items_per_s": round(len(records) / elapsed, 1),
    }
