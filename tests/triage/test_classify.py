from __future__ import annotations

import json

import pytest

from leitstelle.triage import services
from leitstelle.triage.categories import Priority
from leitstelle.triage.classify import (
    SHIPPED_MODEL,
    Classification,
    active_model,
    classify,
    classify_batch,
    model_dir,
    ordered,
)
from leitstelle.triage.model import load


def test_it_classifies_an_emergency_first():
    result = classify("Bei uns wird gerade eingebrochen, bitte kommt schnell!")
    assert isinstance(result, Classification)
    assert result.language == "de"
    assert "emergency" in result.categories
    assert result.priority is Priority.EMERGENCY
    assert result.top == "emergency"
    assert "eingebrochen" in result.reasons["emergency"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Ihr seid doch alle hirnlose Vollidioten", "abuse"),
        ("Wo kann ich online eine Anzeige wegen Betrug aufgeben?", "question"),
        ("Vielen Dank an die Beamten, die gestern so schnell geholfen haben", "praise"),
        ("Verdiene 5000€ im Monat von zu Hause, Link in meiner Bio 💰", "spam"),
    ],
)
def test_it_finds_the_obvious_category(text, category):
    assert category in classify(text).categories


def test_it_lists_categories_most_urgent_first():
    found = {"abuse": 0.97, "praise": 0.4, "question": 0.5, "emergency": 0.2}
    assert list(ordered(found)) == ["emergency", "question", "abuse", "praise"]
    result = classify("Ich stech dich ab du Hurensohn, ich weiß wo du wohnst")
    assert list(result.categories) == list(ordered(result.categories))


def test_it_gives_every_score_and_a_confidence_per_category():
    result = classify("Danke euch, super Arbeit!")
    assert set(result.scores) == set(active_model().categories)
    for code, confidence in result.categories.items():
        assert 0.0 <= confidence <= 1.0
        assert confidence == result.scores.get(code, confidence)


def test_it_says_other_when_nothing_fits():
    result = classify("")
    assert list(result.categories) == ["other"]
    assert result.priority is Priority.NORMAL
    assert result.reasons == {}
    assert result.language == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 1_000_000,
        "Z̸̢̛̛̛a̷̧̛̛l̶̨̛g̵̨o̴̢̢ " * 500,
        "\u202eEs brennt im Keller, bitte schnell kommen\u202c",
        "שלום " * 100 + "مرحبا الشرطة",
        "\ud800\udfff lone surrogates \udc80 es brennt",
        "\x00\x01\x02\x7f",
        "😂" * 20_000,
        "a\u0301" * 10_000,
        "\n\t\r",
    ],
)
def test_it_never_crashes_on_hostile_text(text):
    result = classify(text)
    assert result.categories
    assert isinstance(result.language, str)
    json.dumps(result.as_dict())


def test_it_accepts_non_strings_without_crashing():
    results = classify_batch([None, 42, b"bytes"])
    assert len(results) == 3


def test_it_classifies_a_batch_in_order():
    texts = ["Es brennt im Treppenhaus, Leute sind noch drin!", "Danke für alles 👍"]
    results = classify_batch(texts)
    assert "emergency" in results[0].categories
    assert "emergency" not in results[1].categories
    assert classify_batch([]) == []


def test_it_serialises_to_json():
    data = classify("Den Mann auf dem Fahndungsfoto habe ich gestern gesehen").as_dict()
    assert set(data) == {
        "language",
        "categories",
        "priority",
        "reasons",
        "scores",
        "model",
    }
    assert data["model"] == load(SHIPPED_MODEL).version
    assert len(data["model"]) == 12
    assert isinstance(data["priority"], str)


def test_it_uses_the_shipped_model_unless_told_otherwise(settings, small_model_dir):
    settings.TRIAGE_MODEL_DIR = ""
    assert model_dir() == SHIPPED_MODEL
    settings.TRIAGE_MODEL_DIR = str(small_model_dir)
    assert model_dir() == small_model_dir
    assert active_model().categories == ["emergency", "question", "praise"]


def test_a_model_without_a_category_never_predicts_it(small_model_dir):
    result = classify("Ihr seid alle dumme Idioten", model=load(small_model_dir))
    assert "abuse" not in result.categories
    assert "abuse" not in result.scores


def test_the_service_api_classifies_texts_and_batches():
    single = services.classify_text("Hilfe, mein Kind ist verschwunden!")
    assert "emergency" in single.categories
    batch = services.classify_batch(["Hilfe, mein Kind ist verschwunden!", "ok"])
    assert batch[0] == single
    assert batch[1].language == "unknown"


def test_the_shipped_model_is_small():
    size = sum(path.stat().st_size for path in SHIPPED_MODEL.iterdir())
    assert size < 5_000_000
    assert load(SHIPPED_MODEL).categories == [
        "emergency",
        "threat",
        "abuse",
        "tip",
        "question",
        "claim",
        "criticism",
        "praise",
        "spam",
        "other",
    ]
