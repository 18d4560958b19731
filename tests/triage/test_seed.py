from __future__ import annotations

import json
from collections import Counter

from leitstelle.triage import categories as cat
from leitstelle.triage import seed
from leitstelle.triage.model import load
from tests.triage.helpers import small_examples


def test_it_trains_on_the_examples_alone_when_germeval_is_missing(
    small_file, tmp_path, capsys
):
    status = seed.main(
        [
            "--germeval",
            str(tmp_path / "nowhere"),
            "--examples",
            str(small_file),
            "--output",
            str(tmp_path / "model"),
            "--folds",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "GermEval 2018 data not found" in out
    assert "Emergency recall (cross-validated on the examples):" in out
    assert load(tmp_path / "model").info["sources"] == {
        "examples": len(small_examples())
    }


def test_it_adds_germeval_for_abuse_and_prints_its_score(small_file, tmp_path, capsys):
    folder = tmp_path / "germeval"
    folder.mkdir()
    rows = small_examples()
    lines = [
        f"{row['text']}\t{'OFFENSE' if n % 3 == 0 else 'OTHER'}\tX"
        for n, row in enumerate(rows)
    ]
    (folder / seed.GERMEVAL_FILE).write_text("\n".join(lines) + "\n", "utf-8")
    output = tmp_path / "model"
    args = ["--germeval", str(folder), "--examples", str(small_file)]
    assert seed.main([*args, "--output", str(output), "--folds", "3"]) == 0
    out = capsys.readouterr().out
    assert "5-fold" not in out
    assert "3-fold CV, abuse only: GermEval score" in out
    model = load(output)
    assert "abuse" in model.categories
    assert model.info["sources"]["germeval2018"] == len(rows)
    # reproducible: the same sources give the same files
    again = tmp_path / "again"
    assert seed.main([*args, "--output", str(again), "--folds", "3"]) == 0
    for name in ("model.npz", "model.json"):
        assert (output / name).read_bytes() == (again / name).read_bytes()


def test_it_reports_a_broken_examples_file(tmp_path, capsys):
    broken = tmp_path / "examples.jsonl"
    broken.write_bytes(b"\xff\n")
    assert seed.main(["--examples", str(broken), "--output", str(tmp_path)]) == 2
    assert "not valid UTF-8" in capsys.readouterr().err


def test_the_shipped_examples_cover_every_category_in_german_and_english():
    rows = [json.loads(line) for line in seed.EXAMPLES.read_text("utf-8").splitlines()]
    per_category = Counter(label for row in rows for label in row["labels"])
    assert set(per_category) == set(cat.CODES)
    assert min(per_category.values()) >= 50
    for code in cat.CODES:
        languages = {row["lang"] for row in rows if code in row["labels"]}
        assert languages == {"de", "en"}, code
    texts = [row["text"] for row in rows]
    assert len(set(texts)) == len(texts)
