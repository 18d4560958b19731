from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from leitstelle.triage.model import ARRAYS_NAME, JSON_NAME, ModelError, load


def test_it_round_trips_a_model(small_model_dir, tmp_path):
    model = load(small_model_dir)
    again = load(model.save(tmp_path / "copy"))
    texts = ["Hilfe, es brennt bei uns im Keller!", "Danke euch!", ""]
    assert np.array_equal(
        model.scores(model.vectorizer.transform(texts)),
        again.scores(again.vectorizer.transform(texts)),
    )
    assert again.categories == model.categories
    assert again.thresholds == model.thresholds


def test_it_writes_the_same_bytes_for_the_same_model(small_model_dir, tmp_path):
    model = load(small_model_dir)
    first = model.save(tmp_path / "a")
    second = model.save(tmp_path / "b")
    for name in (ARRAYS_NAME, JSON_NAME):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_it_stores_plain_arrays_and_json_only(small_model_dir):
    description = json.loads((small_model_dir / JSON_NAME).read_text("utf-8"))
    assert description["format"] == "leitstelle-triage-linear"
    with zipfile.ZipFile(small_model_dir / ARRAYS_NAME) as archive:
        names = sorted(archive.namelist())
        assert names == [
            "bias.npy",
            "idf.npy",
            "lemmas.npy",
            "vocabulary.npy",
            "weights.npy",
        ]
        for name in names:
            array = np.lib.format.read_array(
                io.BytesIO(archive.read(name)), allow_pickle=False
            )
            assert array.dtype != object


def copy_description(source, folder) -> None:
    """Copy model.json without the arrays' hash, to test the checks behind it."""
    description = json.loads((source / JSON_NAME).read_text("utf-8"))
    del description["arrays_sha256"]
    (folder / JSON_NAME).write_text(json.dumps(description), "utf-8")


def test_it_refuses_arrays_that_do_not_match_their_hash(small_model_dir, tmp_path):
    folder = load(small_model_dir).save(tmp_path / "copy")
    data = bytearray((folder / ARRAYS_NAME).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / ARRAYS_NAME).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256 differs"):
        load(folder)


def test_it_refuses_a_model_that_holds_a_pickle(small_model_dir, tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    copy_description(small_model_dir, folder)
    evil = np.array([{"payload": "would run on unpickling"}], dtype=object)
    with zipfile.ZipFile(folder / ARRAYS_NAME, "w") as archive:
        with np.load(small_model_dir / ARRAYS_NAME) as good:
            for name in ("idf", "weights", "bias"):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, good[name])
                archive.writestr(f"{name}.npy", buffer.getvalue())
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, evil, allow_pickle=True)
        archive.writestr("vocabulary.npy", buffer.getvalue())
    with pytest.raises(ModelError, match="cannot be read"):
        load(folder)


def test_it_refuses_a_pickle_file_under_the_models_name(small_model_dir, tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    copy_description(small_model_dir, folder)
    (folder / ARRAYS_NAME).write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ModelError, match="cannot be read"):
        load(folder)


def test_it_explains_a_missing_or_foreign_model(small_model_dir, tmp_path):
    with pytest.raises(ModelError, match="holds no triage model"):
        load(tmp_path)
    (tmp_path / JSON_NAME).write_text('{"format": "something-else"}')
    with pytest.raises(ModelError, match="does not describe a triage model"):
        load(tmp_path)
    (tmp_path / JSON_NAME).write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        load(tmp_path)
    (tmp_path / JSON_NAME).write_bytes((small_model_dir / JSON_NAME).read_bytes())
    with pytest.raises(ModelError, match="incomplete"):
        load(tmp_path)


def test_it_refuses_arrays_that_do_not_fit(small_model_dir, tmp_path):
    copy_description(small_model_dir, tmp_path)
    with (
        np.load(small_model_dir / ARRAYS_NAME) as good,
        zipfile.ZipFile(tmp_path / ARRAYS_NAME, "w") as archive,
    ):
        for name in ("vocabulary", "idf", "weights", "bias"):
            array = good[name][:-1] if name == "weights" else good[name]
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array)
            archive.writestr(f"{name}.npy", buffer.getvalue())
    with pytest.raises(ModelError, match="do not fit"):
        load(tmp_path)


def test_it_refuses_another_version(small_model_dir, tmp_path):
    description = json.loads((small_model_dir / JSON_NAME).read_text("utf-8"))
    description["version"] = 99
    (tmp_path / JSON_NAME).write_text(json.dumps(description))
    with pytest.raises(ModelError, match="version 99"):
        load(tmp_path)


def test_it_names_the_words_behind_a_category(small_model_dir):
    model = load(small_model_dir)
    words = ["es", "brennt", "im", "keller", ",", "hilfe", "!"]
    rows = model.vectorizer.transform_tokens([words])
    reasons = model.reasons(words, rows, 0, ["emergency"])
    assert reasons["emergency"]
    assert set(reasons["emergency"]) <= set(words)
    assert "," not in reasons["emergency"]
    empty = model.vectorizer.transform_tokens([[]])
    assert model.reasons([], empty, 0, ["emergency"]) == {"emergency": []}


def test_it_classifies_without_simplemma_using_its_lemma_table(monkeypatch):
    from leitstelle.triage import features
    from leitstelle.triage.classify import SHIPPED_MODEL

    model = load(SHIPPED_MODEL)
    assert model.vectorizer.lemmas
    assert model.vectorizer.lemmas.get("messern") == "messer"
    assert model.vectorizer.lemmas.get("eingebrochen") == "einbrechen"

    def no_simplemma(word):
        raise AssertionError(f"simplemma asked for {word}")

    monkeypatch.setattr(features, "lemma", no_simplemma)
    rows = model.vectorizer.transform(["Sie haben uns mit Messern bedroht!"])
    assert len(rows.indices)


def test_its_lemma_table_gives_the_training_features(small_model_dir, small_file):
    from leitstelle.triage.features import Vectorizer
    from leitstelle.triage.training import read_jsonl

    model = load(small_model_dir)
    plain = Vectorizer(model.vectorizer.vocabulary, model.vectorizer.idf)
    texts = [record.text for record in read_jsonl(small_file)]
    assert np.allclose(
        model.scores(model.vectorizer.transform(texts)),
        model.scores(plain.transform(texts)),
        atol=1e-6,
    )


def test_it_refuses_a_damaged_lemma_table(small_model_dir, tmp_path):
    copy_description(small_model_dir, tmp_path)
    with (
        np.load(small_model_dir / ARRAYS_NAME) as good,
        zipfile.ZipFile(tmp_path / ARRAYS_NAME, "w") as archive,
    ):
        arrays = {name: good[name] for name in good.files}
        arrays["lemmas"] = np.frombuffer(b"no tab here\nx\ty", dtype=np.uint8)
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array)
            archive.writestr(f"{name}.npy", buffer.getvalue())
    with pytest.raises(ModelError, match="lemma table is damaged"):
        load(tmp_path)
