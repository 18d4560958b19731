"""`make seed-model`: rebuild the shipped model and print its scores.

    python -m leitstelle.triage.seed [--germeval DIR] [--output DIR]

Sources: the project's examples (`data/examples.jsonl`, every category) and,
when its folder exists, the GermEval 2018 training data (abuse only; CC BY 4.0,
credited in NOTICE). Fixed seeds make the result the same on every run.

Printed: the GermEval-style score of a 5-fold cross-validation on GermEval
alone (abuse only, at the usual 0.5 and at the chosen threshold), then the
cross-validated precision and recall per category on the examples (a 5-fold
cross-validation over examples and GermEval together, scored on the
examples), with the emergency recall.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from leitstelle.triage import categories as cat
from leitstelle.triage import training
from leitstelle.triage.features import feature_counts

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "data" / "examples.jsonl"
SHIPPED = HERE / "model"
GERMEVAL_FILE = "germeval2018.training.txt"
DEFAULT_GERMEVAL = Path("../shared/data/germeval2018")


def germeval_cv(records, *, folds: int, out) -> dict:
    """Cross-validate on GermEval alone (abuse only) and print the score."""
    counts = [feature_counts(record.text) for record in records]
    y, known = training.label_matrix(records, [cat.ABUSE])
    probabilities = training.out_of_fold(counts, y, known, [cat.ABUSE], folds=folds)
    at_half = training.binary_metrics(y[:, 0], probabilities[:, 0] >= 0.5)
    threshold = training.choose_threshold(cat.ABUSE, y[:, 0], probabilities[:, 0])
    tuned = training.binary_metrics(y[:, 0], probabilities[:, 0] >= threshold)
    out.write(
        f"GermEval 2018, {len(records)} tweets, {folds}-fold CV, abuse only: "
        f"GermEval score {at_half['germeval_f1']:.4f} at 0.5, "
        f"{tuned['germeval_f1']:.4f} at the tuned {threshold:.2f} "
        f"(precision {tuned['precision']:.3f}, recall {tuned['recall']:.3f})\n"
    )
    return {"at_0.5": at_half, "tuned": tuned, "threshold": threshold}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seed-model", description=__doc__)
    parser.add_argument("--germeval", type=Path, default=DEFAULT_GERMEVAL)
    parser.add_argument("--examples", type=Path, default=EXAMPLES)
    parser.add_argument("--output", type=Path, default=SHIPPED)
    parser.add_argument("--folds", type=int, default=training.FOLDS)
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        examples = training.read_jsonl(args.examples, source="examples")
    except training.DataError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    germeval_path = args.germeval / GERMEVAL_FILE
    germeval: list[training.Record] = []
    info: dict = {"sources": {"examples": len(examples)}}
    if germeval_path.is_file():
        germeval = training.read_germeval(germeval_path)
        info["sources"]["germeval2018"] = len(germeval)
        info["germeval_cv"] = germeval_cv(germeval, folds=args.folds, out=out)
    else:
        out.write(
            f"GermEval 2018 data not found at {germeval_path}: "
            "training on the project's examples only.\n"
        )
    records = [*examples, *germeval]
    counts = [feature_counts(record.text) for record in records]
    categories = training.present_categories(records)
    y, known = training.label_matrix(records, categories)
    probabilities = training.out_of_fold(counts, y, known, categories, folds=args.folds)
    # Thresholds from the held-out predictions of every record (for abuse
    # that includes the GermEval tweets); scores on the examples alone.
    thresholds = training.choose_thresholds(y, known, probabilities, categories)
    example_known = known.copy()
    example_known[len(examples) :] = False
    metrics = training.category_metrics(
        y, example_known, probabilities, categories, thresholds
    )
    out.write(
        f"Examples, {len(examples)} items, {args.folds}-fold CV "
        "(precision / recall / F1 at the shipped thresholds):\n"
    )
    for code, values in metrics.items():
        out.write(
            f"  {code:<10} {values['precision']:.3f} / {values['recall']:.3f} / "
            f"{values['f1']:.3f}  (threshold {thresholds[code]:.2f}, "
            f"{values['support']} examples)\n"
        )
    emergency = metrics.get(cat.EMERGENCY, {}).get("recall", 0.0)
    out.write(f"Emergency recall (cross-validated on the examples): {emergency:.3f}\n")
    vectorizer, weights, bias = training.fit_arrays(counts, y, known, categories)
    vectorizer = training.with_lemma_table(vectorizer, records)
    info.update(
        {
            "cross_validation": {"folds": args.folds, "categories": metrics},
            "seed": training.SEED,
            "regularisation_c": training.C,
            "min_df": training.MIN_DF,
        }
    )
    model = training.Model(vectorizer, categories, weights, bias, thresholds, info)
    folder = model.save(args.output)
    size = sum(path.stat().st_size for path in folder.iterdir()) / 1e6
    out.write(f"Model written to {folder}: {len(vectorizer)} features, {size:.1f} MB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
