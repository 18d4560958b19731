from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leitstelle.triage.model import load
from tests.triage.helpers import small_examples, write_jsonl


def run(*args) -> str:
    out = StringIO()
    call_command("triage", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_classifies_a_text():
    out = run("classify", "Hilfe, bei uns brennt es im Keller!")
    assert "Language:   de" in out
    assert "Priority:   emergency" in out
    assert "emergency" in out
    assert "Reason:" in out


def test_it_classifies_as_json(small_model_dir):
    out = run("classify", "Danke euch!", "--json", "--model", str(small_model_dir))
    data = json.loads(out)
    assert set(data["scores"]) == {"emergency", "question", "praise"}


def test_it_trains_a_standalone_model_from_a_file(small_file, tmp_path):
    out = run("train", "--data", str(small_file), "--output", str(tmp_path / "m"))
    assert "Model written to" in out
    assert "emergency" in out
    assert load(tmp_path / "m").categories == ["emergency", "question", "praise"]


def test_it_trains_into_the_data_dir_without_output(small_file, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = run("train", "--data", str(small_file), "--folds", "2")
    (folder,) = (tmp_path / "triage" / "models").iterdir()
    assert str(folder) in out
    assert load(folder).categories


def test_it_trains_from_germeval_format(tmp_path):
    lines = []
    for n, row in enumerate(small_examples()[:60]):
        coarse = "OFFENSE" if n % 3 == 0 else "OTHER"
        lines.append(f"{row['text']}\t{coarse}\t{coarse}")
    data = tmp_path / "germeval.txt"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    run(
        "train",
        "--data",
        str(data),
        "--format",
        "germeval2018",
        "--output",
        str(tmp_path / "m"),
    )
    assert load(tmp_path / "m").categories == ["abuse"]


def test_it_evaluates_as_json_in_the_shape_of_the_issue(small_file, small_model_dir):
    out = run(
        "evaluate", "--data", str(small_file), "--model", str(small_model_dir), "--json"
    )
    report = json.loads(out)
    assert list(report) == ["categories", "macro_f1", "items_per_s"]
    assert set(report["categories"]) == {"emergency", "question", "praise"}
    for values in report["categories"].values():
        assert list(values) == ["precision", "recall", "f1", "germeval_f1", "support"]
    assert 0 <= report["macro_f1"] <= 1
    assert report["items_per_s"] > 0


def test_it_evaluates_for_people(small_file, small_model_dir):
    out = run("evaluate", "--data", str(small_file), "--model", str(small_model_dir))
    assert "Macro F1:" in out
    assert "Items per second:" in out
    assert "emergency" in out


def test_it_explains_broken_data_instead_of_crashing(tmp_path):
    data = tmp_path / "broken.jsonl"
    data.write_bytes(b'{"text": "ok", "labels": ["praise"]}\n\xc3\x28 oops\n')
    with pytest.raises(CommandError, match="line 2: not valid UTF-8"):
        run("evaluate", "--data", str(data))
    with pytest.raises(CommandError, match="line 2: not valid UTF-8"):
        run("train", "--data", str(data), "--output", str(tmp_path / "m"))


def test_it_explains_a_missing_model(small_file, tmp_path):
    with pytest.raises(CommandError, match="holds no triage model"):
        run("evaluate", "--data", str(small_file), "--model", str(tmp_path))


def test_it_explains_unknown_labels(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "x", "labels": ["hass"]}])
    with pytest.raises(CommandError, match="unknown categories hass"):
        run("train", "--data", str(data), "--output", str(tmp_path / "m"))


def test_it_runs_from_the_leitstelle_script(capsys):
    from leitstelle import cli

    assert cli.main(["triage", "classify", "Wo kann ich mein Fahrrad abholen?"]) == 0
    assert "question" in capsys.readouterr().out
