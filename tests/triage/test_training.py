from __future__ import annotations

import numpy as np
import pytest

from leitstelle.triage import training
from leitstelle.triage.training import DataError, Record, binary_metrics
from tests.triage.helpers import small_examples, write_jsonl


def test_it_reads_json_lines(tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"text": "Es brennt", "labels": ["emergency"]},
            {"text": "Danke", "labels": []},
        ],
    )
    records = training.read_jsonl(path)
    assert records[0] == Record("Es brennt", frozenset({"emergency"}))
    assert records[1].labels == frozenset()
    assert records[1].knows("threat")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": "ok", "labels": []}\n\xff\xfe broken\n', "line 2: not valid UTF-8"),
        (b'{"text": "ok"\n', "line 1: not JSON"),
        (b'["a list"]\n', "line 1: expected an object"),
        (b'{"text": 5, "labels": []}\n', "text must be a string"),
        (b'{"text": "x", "labels": "abuse"}\n', "labels must be a list"),
        (b'{"text": "x", "labels": ["hate"]}\n', "unknown categories hate"),
        (b"\n\n", "holds no examples"),
    ],
)
def test_it_names_the_line_of_broken_json_lines(tmp_path, content, message):
    path = tmp_path / "broken.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        training.read_jsonl(path)


def test_it_says_when_a_file_cannot_be_read(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        training.read_jsonl(tmp_path / "missing.jsonl")
    with pytest.raises(DataError, match="cannot be read"):
        training.read_germeval(tmp_path / "missing.txt")


def test_it_reads_the_germeval_format(tmp_path):
    path = tmp_path / "germeval.txt"
    path.write_text(
        "@user Ihr seid alle Idioten\tOFFENSE\tINSULT\n"
        "Schöner Tag heute|LBR|mit Sonne\tOTHER\tOTHER\n",
        "utf-8",
    )
    first, second = training.read_germeval(path)
    assert first.labels == frozenset({"abuse"})
    assert second.labels == frozenset()
    assert second.text == "Schöner Tag heute\nmit Sonne"
    assert first.knows("abuse")
    assert not first.knows("emergency")


def test_it_rejects_a_germeval_file_in_another_shape(tmp_path):
    path = tmp_path / "germeval.txt"
    path.write_text("just text without labels\n", "utf-8")
    with pytest.raises(DataError, match="line 1: expected text"):
        training.read_germeval(path)
    path.write_bytes(b"\xff\tOTHER\tOTHER\n")
    with pytest.raises(DataError, match="not UTF-8"):
        training.read_germeval(path)


def test_it_computes_the_germeval_score():
    truth = np.array([1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    predicted = np.array([1, 1, 0, 1, 0, 0, 0, 0], dtype=bool)
    metrics = binary_metrics(truth, predicted)
    assert metrics["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["recall"] == pytest.approx(2 / 3, abs=1e-4)
    # negative class: precision 4/5, recall 4/5; macro P = macro R = 11/15
    assert metrics["germeval_f1"] == pytest.approx(11 / 15, abs=1e-4)
    assert metrics["support"] == 3


def test_it_trains_only_the_categories_in_the_data(small_file):
    result = training.train(training.read_jsonl(small_file), folds=3)
    assert result.model.categories == ["emergency", "question", "praise"]
    assert set(result.metrics) == {"emergency", "question", "praise"}
    assert all(0 < t < 1 for t in result.model.thresholds.values())
    assert result.model.info["cross_validation"]["folds"] == 3


def test_it_trains_the_same_model_twice(small_file, tmp_path):
    records = training.read_jsonl(small_file)[:90]
    first = training.train(records, folds=2).model.save(tmp_path / "a")
    second = training.train(records, folds=2).model.save(tmp_path / "b")
    assert (first / "model.npz").read_bytes() == (second / "model.npz").read_bytes()
    assert (first / "model.json").read_bytes() == (second / "model.json").read_bytes()


def test_it_tunes_the_emergency_threshold_for_recall():
    rng = np.random.default_rng(1)
    truth = rng.random(400) < 0.2
    probability = np.clip(truth * 0.35 + rng.random(400) * 0.6, 0, 1)
    threshold = training.choose_threshold("emergency", truth, probability)
    assert (probability[truth] >= threshold).mean() >= training.RECALL_TARGETS[
        "emergency"
    ]
    assert threshold <= training.choose_threshold("praise", truth, probability)


def test_it_refuses_data_without_labels_or_with_one_label_everywhere(tmp_path):
    with pytest.raises(DataError, match="nothing to learn"):
        training.train([Record("a", frozenset()), Record("b", frozenset())])
    same = [Record(f"text {n}", frozenset({"praise"})) for n in range(6)]
    with pytest.raises(DataError, match="Every example is labelled praise"):
        training.train(same)


def test_it_evaluates_in_the_shape_of_the_issue(small_model_dir, small_file):
    from leitstelle.triage.model import load

    report = training.evaluate(load(small_model_dir), training.read_jsonl(small_file))
    assert set(report) == {"categories", "macro_f1", "items_per_s"}
    assert set(report["categories"]) == {"emergency", "question", "praise"}
    for values in report["categories"].values():
        assert set(values) == {"precision", "recall", "f1", "germeval_f1", "support"}
    assert report["items_per_s"] > 0
    # on its own training data the small model finds most emergencies
    assert report["categories"]["emergency"]["recall"] > 0.8


def test_it_counts_categories_the_model_lacks_as_never_predicted(small_model_dir):
    from leitstelle.triage.model import load

    records = [
        Record("Ihr seid alle dumme Idioten", frozenset({"abuse"})),
        Record("Danke für eure Hilfe", frozenset({"praise"})),
    ]
    report = training.evaluate(load(small_model_dir), records)
    assert report["categories"]["abuse"]["recall"] == 0.0
    assert report["categories"]["abuse"]["support"] == 1


def test_small_examples_cover_three_categories():
    labels = {row["labels"][0] for row in small_examples()}
    assert labels == {"emergency", "praise", "question"}
