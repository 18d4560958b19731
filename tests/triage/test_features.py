from __future__ import annotations

import numpy as np

from leitstelle.triage.features import (
    MAX_CHARS,
    Vectorizer,
    analyse,
    build_vocabulary,
    feature_counts,
    normalise,
    tokens,
)


def test_it_normalises_case_links_mentions_and_repeats():
    text = normalise("SOOOO geil!!!!! @Polizei_BW https://example.org/x?y=1 www.x.de")
    assert tokens(text) == ["soo", "geil", "!", "!", "@", "user", "url", "url"]


def test_it_drops_zalgo_marks_and_direction_controls_but_keeps_umlauts():
    assert normalise("Z̸̢̛a̷̧l̶̨g̵o̴ ä\u202eö\u200bü") == "zalgo äöü"


def test_it_keeps_emoji_as_words():
    assert tokens(normalise("Danke 👍🏻!")) == ["danke", "👍", "!"]


def test_it_cuts_very_long_texts():
    assert len(normalise("a" * (MAX_CHARS * 3))) <= MAX_CHARS


def test_it_gives_inflected_forms_the_same_lemma_feature():
    for text in ["mit Messern", "mit dem Messer"]:
        assert "wmesser" in feature_counts(text)
    assert "weinbrechen" in feature_counts("bei uns wurde eingebrochen")
    assert "wbrennen" in feature_counts("es brennt")


def test_it_keeps_hilfe_and_hilfestellung_apart_as_words():
    help_words = {f for f in feature_counts("Hilfe!") if f.startswith("w")}
    assistance = {f for f in feature_counts("Hilfestellung") if f.startswith("w")}
    assert "whilfe" in help_words
    assert "whilfe" not in assistance


def test_it_gives_word_pairs():
    assert "bes brennen" in feature_counts("es brennt")


def test_it_maps_texts_to_the_same_rows_as_their_feature_counts():
    texts = ["Es brennt im Keller!", "Danke euch 👍", "", "Hilfe hilfe HILFE"]
    vocabulary, idf = build_vocabulary([feature_counts(t) for t in texts], min_df=1)
    vectorizer = Vectorizer(vocabulary, idf)
    direct = vectorizer.transform(texts)
    counted = vectorizer.transform_counts([feature_counts(t) for t in texts])
    for row in range(len(texts)):
        a = dict(zip(*(x.tolist() for x in direct.row(row)), strict=True))
        b = dict(zip(*(x.tolist() for x in counted.row(row)), strict=True))
        assert a.keys() == b.keys()
        assert all(abs(a[k] - b[k]) < 1e-6 for k in a)
    assert direct.rows == 4
    assert len(direct.row(2)[0]) == 0


def test_it_normalises_characters_and_words_to_unit_length_each():
    texts = ["Es brennt im Keller", "Es brennt"]
    vocabulary, idf = build_vocabulary([feature_counts(t) for t in texts], min_df=1)
    vectorizer = Vectorizer(vocabulary, idf)
    indices, values = vectorizer.transform(texts[:1]).row(0)
    chars = np.array([vocabulary[i].startswith("c") for i in indices])
    assert abs(np.sum(values[chars] ** 2) - 1) < 1e-5
    assert abs(np.sum(values[~chars] ** 2) - 1) < 1e-5


def test_it_builds_the_vocabulary_from_features_in_enough_documents():
    documents = [feature_counts(t) for t in ["rot blau", "rot grün", "gelb"]]
    vocabulary, idf = build_vocabulary(documents, min_df=2)
    assert "wrot" in vocabulary
    assert "wblau" not in vocabulary
    assert vocabulary == sorted(vocabulary)
    assert idf.dtype == np.float32


def test_it_analyses_per_token():
    words, per_token = analyse("es brennt")
    assert words == ["es", "brennt"]
    assert "bes brennen" in per_token[0]
    assert "c bre" in per_token[1]
