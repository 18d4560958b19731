"""Small labelled files for the triage tests, from the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

from leitstelle.triage.seed import EXAMPLES

SMALL_CATEGORIES = ("emergency", "praise", "question")


def small_examples() -> list[dict]:
    """The shipped examples of three categories (single-labelled ones)."""
    rows = [json.loads(line) for line in EXAMPLES.read_text("utf-8").splitlines()]
    return [
        {"text": row["text"], "labels": row["labels"]}
        for row in rows
        if len(row["labels"]) == 1 and row["labels"][0] in SMALL_CATEGORIES
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8"
    )
    return path
