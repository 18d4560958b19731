"""Splitting an over-long text into a numbered thread."""

from __future__ import annotations

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.lib import text as counting
from leitstelle.networks.base import Counting, TextRules
from leitstelle.publishing.splitting import sentences, split_into_thread

X = TextRules(max_length=280, counting=Counting.WEIGHTED, url_length=23)
BLUESKY = TextRules(max_length=300, counting=Counting.GRAPHEMES)
MASTODON = TextRules(max_length=500, counting=Counting.GRAPHEMES, url_length=23)
TELEGRAM = TextRules(max_length=4096, counting=Counting.UTF16, max_caption_length=1024)
TINY = TextRules(max_length=40)
COUNTER = regex.compile(r" \((\d+)/(\d+)\)$")

REPORT = (
    "Am Dienstagabend kam es in der Innenstadt zu einem Verkehrsunfall. "
    "Ein 34-jähriger Radfahrer wurde dabei schwer verletzt. "
    "Die Polizei sucht Zeugen, die den Unfall beobachtet haben. "
    "Hinweise nimmt jedes Polizeirevier entgegen, z.B. das Revier Mitte. "
    "Mehr dazu: https://www.polizei.sachsen.de/de/presse/meldung-12345.html\n\n"
    "Wir bitten alle Verkehrsteilnehmenden um Vorsicht. "
    "Die Kreuzung bleibt bis 18 Uhr gesperrt. Umleitungen sind ausgeschildert."
)


def strip_counter(part: str) -> str:
    return COUNTER.sub("", part)


def words(parts: list[str]) -> list[str]:
    return " ".join(strip_counter(part) for part in parts).split()


def test_it_keeps_a_text_that_fits_as_one_part() -> None:
    assert split_into_thread("  Kurz und gut.  ", X) == ["Kurz und gut."]


def test_it_splits_at_sentences_and_numbers_the_parts() -> None:
    parts = split_into_thread(REPORT, X)
    assert [COUNTER.search(part).groups() for part in parts] == [("1", "2"), ("2", "2")]
    assert all(counting.fits(part, X) for part in parts)
    # Each part ends with a whole sentence, not in the middle of one.
    assert all(strip_counter(part).endswith((".", "html")) for part in parts)
    assert words(parts) == REPORT.split()


def test_it_never_ends_a_sentence_at_an_abbreviation_or_ordinal() -> None:
    text = "Gesucht wird z.B. Anna. Sie war am 3. Mai in Str. Nr. 5 Gast. Danke!"
    assert sentences(text) == [
        "Gesucht wird z.B. Anna.",
        "Sie war am 3. Mai in Str. Nr. 5 Gast.",
        "Danke!",
    ]


def test_it_keeps_a_url_whole() -> None:
    parts = split_into_thread(REPORT, X)
    url = "https://www.polizei.sachsen.de/de/presse/meldung-12345.html"
    assert sum(url in part for part in parts) == 1


def test_it_splits_a_sentence_longer_than_a_post_between_words() -> None:
    sentence = " ".join(["Polizeihubschrauber"] * 20) + "."
    parts = split_into_thread(sentence, BLUESKY)
    assert len(parts) == 2
    assert all(counting.fits(part, BLUESKY) for part in parts)
    assert words(parts) == sentence.split()


def test_it_cuts_a_word_longer_than_a_post_between_graphemes() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    word = family * 60
    parts = split_into_thread(word, TINY)
    assert all(counting.fits(part, TINY) for part in parts)
    assert "".join(strip_counter(part) for part in parts) == word


def test_it_widens_the_counter_for_ten_parts_or_more() -> None:
    text = " ".join(f"Satz Nummer {n} ist hier." for n in range(40))
    parts = split_into_thread(text, TINY)
    assert len(parts) >= 10
    assert parts[0].endswith(f"(1/{len(parts)})")
    assert all(counting.fits(part, TINY) for part in parts)
    assert words(parts) == text.split()


def test_it_keeps_the_first_part_to_the_caption_limit_with_media() -> None:
    text = "Ein Satz über die Lage. " * 200
    parts = split_into_thread(text, TELEGRAM, with_media=True)
    assert counting.fits(parts[0], TELEGRAM, with_media=True)
    assert all(counting.fits(part, TELEGRAM) for part in parts[1:])
    assert counting.count(parts[1], TELEGRAM) > 1024


def test_it_keeps_paragraph_breaks_inside_a_part() -> None:
    text = "Erster Absatz.\n\nZweiter Absatz. " + "Mehr Text hier. " * 40
    parts = split_into_thread(text, MASTODON)
    assert parts[0].startswith("Erster Absatz.\n\nZweiter Absatz.")


@settings(
    max_examples=60,
    deadline=None,
    # The machine is shared: slow data generation is no failure.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(
        st.one_of(
            st.text(
                alphabet=st.characters(
                    codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")
                ),
                min_size=1,
                max_size=30,
            ),
            st.sampled_from(
                ["https://polizei.example.de/a/b", "Ende.", "😀", "日本語", "e\u0301"]
            ),
        ),
        min_size=1,
        max_size=120,
    ),
    st.sampled_from([X, BLUESKY, MASTODON, TINY]),
)
def test_it_always_makes_parts_that_fit_and_keep_every_word(
    tokens: list[str], rules: TextRules
) -> None:
    text = " ".join(tokens)
    parts = split_into_thread(text, rules)
    assert all(counting.fits(part, rules) for part in parts)
    if len(parts) == 1:
        assert parts == [text.strip()]
    else:
        assert "".join("".join(strip_counter(p).split()) for p in parts) == "".join(
            text.split()
        )
