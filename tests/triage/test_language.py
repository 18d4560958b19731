from __future__ import annotations

import pytest

from leitstelle.triage.language import (
    UNKNOWN,
    LanguageSettingError,
    configured_languages,
    detect,
    detect_batch,
    parse_languages,
)

ORGANISATION = ("de", "en", "tr", "ar", "ru", "uk", "pl", "fr")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Bei uns wird gerade eingebrochen, bitte kommt schnell!", "de"),
        ("Someone is breaking into my house right now, please hurry", "en"),
        ("Polis memurlar\u0131na çok teşekkür ederim, harika iş", "tr"),
        ("شكرا جزيلا للشرطة على المساعدة السريعة", "ar"),
        ("Спасибо большое за вашу помощь вчера", "ru"),
        ("Дякую за вашу роботу, ви молодці", "uk"),
        ("Dziękuję bardzo za szybką pomoc policji", "pl"),
        ("Merci beaucoup à la police pour son aide", "fr"),
    ],
)
def test_it_detects_the_organisations_languages(text, code):
    assert detect(text, ORGANISATION) == code


@pytest.mark.parametrize("text", ["ok", "Danke!", "👍👍👍", "", "   ", "@polizei lol"])
def test_it_says_unknown_for_short_texts(text):
    assert detect(text, ORGANISATION) == UNKNOWN


def test_it_only_chooses_among_the_configured_languages():
    # Dutch is not configured: the text gets one of the configured codes
    # or "unknown", never "nl".
    result = detect("Hartelijk dank voor jullie snelle hulp gisteren", ("de", "en"))
    assert result in {"de", "en", UNKNOWN}


def test_it_reads_the_languages_from_the_setting(settings):
    settings.TRIAGE_LANGUAGES = "en, de"
    assert configured_languages() == ("de", "en")


def test_it_falls_back_to_the_environment_then_the_default(settings, monkeypatch):
    del settings.TRIAGE_LANGUAGES
    monkeypatch.setenv("LEITSTELLE_TRIAGE_LANGUAGES", "fr,pl")
    assert configured_languages() == ("fr", "pl")
    monkeypatch.delenv("LEITSTELLE_TRIAGE_LANGUAGES")
    assert configured_languages() == tuple(sorted(ORGANISATION))


def test_it_rejects_languages_it_cannot_detect():
    with pytest.raises(LanguageSettingError, match="xx"):
        parse_languages("de,xx")
    with pytest.raises(LanguageSettingError, match="at least one"):
        parse_languages(" , ")


def test_it_answers_a_single_language_without_detecting():
    assert detect("Irgendein längerer Satz ohne Bedeutung", ("de",)) == "de"


def test_it_detects_a_batch():
    texts = ["Vielen Dank für eure schnelle Hilfe gestern", "ok"]
    assert detect_batch(texts, ORGANISATION) == ["de", UNKNOWN]
