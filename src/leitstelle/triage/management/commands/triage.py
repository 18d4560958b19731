"""`leitstelle triage classify|train|evaluate`: the first stage from the shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leitstelle.triage import categories as cat
from leitstelle.triage import training
from leitstelle.triage.classify import active_model, classify, model_dir
from leitstelle.triage.language import LanguageSettingError
from leitstelle.triage.model import ModelError, load

FORMATS = ("jsonl", "germeval2018")


class Command(BaseCommand):
    help = "Classify a text, train a model, or evaluate one on labelled data."
    # Files in, files out: no database, so no checks that need one.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        one = actions.add_parser("classify", help="Classify one text.")
        one.add_argument("text")
        one.add_argument("--model", type=Path, help="model folder (default: active)")
        one.add_argument("--json", action="store_true", help="print JSON")
        learn = actions.add_parser("train", help="Train a model from labelled data.")
        learn.add_argument("--data", type=Path, required=True)
        learn.add_argument(
            "--output",
            type=Path,
            help="write a standalone model made from exactly this data here",
        )
        learn.add_argument("--format", choices=FORMATS, default="jsonl")
        learn.add_argument("--folds", type=int, default=training.FOLDS)
        check = actions.add_parser("evaluate", help="Score a model on labelled data.")
        check.add_argument("--data", type=Path, required=True)
        check.add_argument("--model", type=Path, help="model folder (default: active)")
        check.add_argument("--format", choices=FORMATS, default="jsonl")
        check.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"do_{action}")(**options)
        except (training.DataError, ModelError, LanguageSettingError) as exc:
            raise CommandError(str(exc)) from None

    def model(self, folder: Path | None):
        return load(folder) if folder else active_model()

    def do_classify(self, *, text: str, model: Path | None, json: bool, **_) -> None:
        result = classify(text, model=self.model(model))
        if json:
            self.stdout.write(dumps(result.as_dict()))
            return
        found = ", ".join(
            f"{code} {value:.2f}" for code, value in result.categories.items()
        )
        self.stdout.write(f"Language:   {result.language}")
        self.stdout.write(f"Priority:   {result.priority.name.lower()}")
        self.stdout.write(f"Categories: {found}")
        for code, words in result.reasons.items():
            named = ", ".join(words) or "(no single word)"
            self.stdout.write(f"Reason:     {cat.label(code)}: {named}")

    def do_train(
        self, *, data: Path, output: Path | None, format: str, folds: int, **_
    ) -> None:
        records = training.read_data(data, format)
        target = output or default_output()
        result = training.train(
            records,
            folds=folds,
            info={"data": data.name, "format": format},
            progress=lambda message: self.stderr.write(message),
        )
        folder = result.model.save(target)
        self.stdout.write(
            f"Trained on {len(records)} examples: {', '.join(result.model.categories)}."
        )
        for code, values in result.metrics.items():
            self.stdout.write(
                f"  {code:<10} precision {values['precision']:.3f}  recall "
                f"{values['recall']:.3f}  F1 {values['f1']:.3f}  "
                f"GermEval {values['germeval_f1']:.3f}  (cross-validated)"
            )
        self.stdout.write(f"Model written to {folder}.")

    def do_evaluate(
        self, *, data: Path, model: Path | None, format: str, json: bool, **_
    ) -> None:
        records = training.read_data(data, format)
        report = training.evaluate(self.model(model), records)
        if json:
            self.stdout.write(dumps(report))
            return
        self.stdout.write(f"Model {model or model_dir()} on {len(records)} examples:")
        for code, values in report["categories"].items():
            self.stdout.write(
                f"  {code:<10} precision {values['precision']:.3f}  recall "
                f"{values['recall']:.3f}  F1 {values['f1']:.3f}  GermEval "
                f"{values['germeval_f1']:.3f}  ({values['support']} positive)"
            )
        self.stdout.write(f"Macro F1: {report['macro_f1']:.3f}")
        self.stdout.write(f"Items per second: {report['items_per_s']:.0f}")


def default_output() -> Path:
    """Where a model trained without --output goes: a new folder per run."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.DATA_DIR) / "triage" / "models" / stamp


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False)
