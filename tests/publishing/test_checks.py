"""Pre-publish checks: personal data, watch list, length, media, whole posts."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
import respx
from django.core.files.base import ContentFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks.base import Capabilities, Counting, MediaRules, TextRules
from leitstelle.networks.models import Channel
from leitstelle.publishing import checks
from leitstelle.publishing.checks import BLOCKER, WARNING, Finding
from leitstelle.publishing.models import (
    MediaAsset,
    Post,
    PublishingSettings,
    Variant,
)


@pytest.fixture(autouse=True)
def own_media_folder(media_root):
    """Uploaded files go to the test's own folder (tests.publishing.factories)."""
    return media_root


X_RULES = TextRules(max_length=280, counting=Counting.WEIGHTED, url_length=23)


def codes(text: str) -> list[tuple[str, str]]:
    return [(f.code, f.excerpt) for f in checks.find_personal_data(text)]


# --- personal data ---------------------------------------------------------


@pytest.mark.parametrize(
    "sample",
    ["B-AB 1234", "M AB 123E", "HH-XY 99", "DD-Q 7H", "KÖ-A 12", "B-AB1234"],
)
def test_it_finds_german_licence_plates(sample: str) -> None:
    text = f"Der Wagen mit dem Kennzeichen {sample} fuhr davon."
    assert codes(text) == [("licence_plate", sample)]
    assert checks.find_personal_data(text)[0].severity == BLOCKER


@pytest.mark.parametrize(
    "sample",
    [
        "Auf der A 4 Richtung Dresden",
        "der ICE 1234 hatte Verspätung",
        "LKA NRW 2024",
        "das LKA BW 2023",
        "GSG 9 und SEK-Einsatz",
        "B-ABCD 1234",  # four letters: no plate
        "ABCD-AB 12",  # district too long
        "B-AB 12345",  # five digits
        "ab 12 Uhr",
    ],
)
def test_it_takes_no_other_capitals_and_numbers_for_a_plate(sample: str) -> None:
    assert codes(sample) == []


@pytest.mark.parametrize(
    "sample",
    [
        "0351 483-2233",
        "+49 351 4832233",
        "+49 (0)351 4832233",
        "0049 351 4832233",
        "0171/1234567",
        "(0351) 48 32 233",
        "+43 1 313100",
    ],
)
def test_it_finds_phone_numbers(sample: str) -> None:
    found = checks.find_personal_data(f"Hinweise unter {sample} an die Polizei.")
    assert [(f.code, f.excerpt, f.severity) for f in found] == [
        ("phone_number", sample, WARNING)
    ]


@pytest.mark.parametrize(
    "sample",
    [
        "Polizeipräsidium 110",
        "Notruf 110 oder 112",
        "01067 Dresden",
        "am 01.02.2024 um 12:30 Uhr",
        "0,5 Promille",
        "Aktenzeichen 2024/1234",
        "1.234 Fälle im Jahr 2023",
    ],
)
def test_it_takes_no_other_numbers_for_phone_numbers(sample: str) -> None:
    assert codes(sample) == []


def test_it_finds_email_addresses_but_not_fediverse_handles() -> None:
    text = "Mail an max.mustermann+tipp@example.org, folgt @polizei@social.bund.de"
    assert codes(text) == [("email", "max.mustermann+tipp@example.org")]


@pytest.mark.parametrize(
    "sample",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "AT61 1904 3002 3457 3201",
        "CH93 0076 2011 6238 5295 7",
    ],
)
def test_it_finds_ibans_that_pass_the_mod_97_check(sample: str) -> None:
    found = checks.find_personal_data(f"Überweisen Sie nicht an {sample}. Danke")
    assert [(f.code, f.excerpt, f.severity) for f in found] == [
        ("iban", sample, BLOCKER)
    ]


@pytest.mark.parametrize(
    "sample",
    [
        "DE88 3704 0044 0532 0130 00",  # one check digit off
        "DE89 3704 0044 0532 0130",  # too short for Germany
        "Polizeipräsidium 110",
        "AB12 3456 7890 1234 5678 90",  # no such country
    ],
)
def test_it_takes_nothing_failing_the_check_for_an_iban(sample: str) -> None:
    assert [code for code, _ in codes(sample) if code == "iban"] == []


def test_it_checks_iban_digits_with_mod_97() -> None:
    assert checks.iban_is_valid("GB82 WEST 1234 5698 7654 32")
    assert not checks.iban_is_valid("GB82 WEST 1234 5698 7654 33")
    assert not checks.iban_is_valid("DE89 3704")


@pytest.mark.parametrize(
    ("sample", "excerpt"),
    [
        ("Der Mann (geb. 01.02.1990) wurde", "geb. 01.02.1990"),
        ("Sie ist geboren am 3. Mai 1985 in Gera", "geboren am 3. Mai 1985"),
        ("Geburtsdatum: 12.12.70", "Geburtsdatum: 12.12.70"),
        ("Max M. (*12.12.1970) wird vermisst", "*12.12.1970"),
        ("geb. 1990", "geb. 1990"),
    ],
)
def test_it_finds_dates_of_birth(sample: str, excerpt: str) -> None:
    found = checks.find_personal_data(sample)
    assert [(f.code, f.excerpt, f.severity) for f in found] == [
        ("date_of_birth", excerpt, BLOCKER)
    ]


def test_it_takes_other_dates_for_no_birth_date() -> None:
    assert codes("Am 01.02.1990 wurde das Präsidium eröffnet, geboren in Gera.") == []


@pytest.mark.parametrize(
    ("sample", "excerpt"),
    [
        ("Einbruch in der Hauptstraße 12.", "Hauptstraße 12"),
        ("Sie wohnt Am Markt 3a in Meißen", "Am Markt 3a"),
        ("vor dem Haus Dresdner Str. 5", "Dresdner Str. 5"),
        ("Hauptstr.12-14, Erdgeschoss", "Hauptstr.12-14"),
        ("an der Karl-Marx-Allee 33", "Karl-Marx-Allee 33"),
        ("Max-Planck-Straße 4b", "Max-Planck-Straße 4b"),
        ("Lindenweg 7/9 in Leipzig", "Lindenweg 7/9"),
        ("Berliner Platz 1", "Berliner Platz 1"),
    ],
)
def test_it_finds_street_addresses_with_house_numbers(
    sample: str, excerpt: str
) -> None:
    found = checks.find_personal_data(sample)
    assert [f.code for f in found] == ["street_address"]
    assert found[0].excerpt.endswith(excerpt)
    assert found[0].severity == WARNING  # often the station's own address


@pytest.mark.parametrize(
    "sample",
    [
        "Unfall auf der Bundesstraße 96 bei Zittau",
        "Am Freitag 12 Uhr begann der Einsatz",
        "Am Montag 3 Personen festgenommen",
        "Im Jahr 2023 gab es 12 Fälle",
        "In der Kalenderwoche 12 kontrollierten wir",
        "In der Hauptstraße wurde geblitzt",
        "am Marktplatz 1,5 km entfernt",
        "in der Bahnhofstraße 3 Fahrzeuge beschädigt",
        "Ringstraße 200 Meter gesperrt",
    ],
)
def test_it_takes_roads_times_and_counts_for_no_address(sample: str) -> None:
    assert codes(sample) == []


def test_it_reports_findings_in_text_order_without_overlaps() -> None:
    text = (
        "Kontakt: info@polizei.example.de, IBAN DE89 3704 0044 0532 0130 00, "
        "Hauptstraße 12, Tel. 0351 4832233, Kennzeichen B-AB 1234."
    )
    assert [code for code, _ in codes(text)] == [
        "email",
        "iban",
        "street_address",
        "phone_number",
        "licence_plate",
    ]


def test_it_finds_nothing_in_an_ordinary_report() -> None:
    text = (
        "Am Samstagabend kontrollierten Beamte des Polizeireviers Dresden-Nord "
        "zwischen 18 und 23 Uhr 112 Fahrzeuge. 3 Fahrer waren zu schnell, einer "
        "hatte 0,8 Promille. Mehr unter https://www.polizei.sachsen.de/de/12345.htm "
        "#Verkehrssicherheit @polizeisachsen Notruf: 110"
    )
    assert checks.find_personal_data(text) == []


@settings(
    max_examples=200,
    deadline=None,
    # The machine is shared: slow data generation is no failure.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                [
                    "B-AB 1234",
                    "0351 4832233",
                    "a@b.de",
                    "DE89 3704 0044 0532 0130 00",
                    "geb. 01.02.1990",
                    "Hauptstraße 12",
                    "Am Markt 3a",
                    " ",
                    "\n",
                    ".",
                ]
            ),
        ),
        max_size=20,
    )
)
def test_it_reports_each_finding_once_as_it_stands_in_the_text(
    tokens: list[str],
) -> None:
    text = "".join(tokens)
    found = checks.find_personal_data(text)
    position = 0
    for finding in found:
        index = text.find(finding.excerpt, position)
        assert index >= 0  # in order, never overlapping
        position = index + len(finding.excerpt)


# --- watch list ------------------------------------------------------------


def test_it_finds_watch_words_as_whole_words_in_any_case() -> None:
    found = checks.find_watch_words(
        "Gaffer! Die GAFFER störten, gafferfrei war es nicht.", ["gaffer"]
    )
    assert [f.excerpt for f in found] == ["Gaffer", "GAFFER"]
    assert {f.severity for f in found} == {BLOCKER}


def test_it_matches_umlauts_and_their_spellings_on_the_watch_list() -> None:
    text = "Ärger, aerger, Straße, STRASSE und Strassenbahn"
    found = checks.find_watch_words(text, ["Ärger", "strasse"])
    assert [f.excerpt for f in found] == ["Ärger", "aerger", "Straße", "STRASSE"]


def test_it_matches_watch_phrases_across_spaces() -> None:
    found = checks.find_watch_words(
        "Das war ein\nfeiger  Anschlag.", ["feiger Anschlag"]
    )
    assert [f.code for f in found] == ["watch_word"]


def test_it_ignores_an_empty_watch_list() -> None:
    assert checks.find_watch_words("irgendwas", ["", "  "]) == []


# --- length ----------------------------------------------------------------


def test_it_blocks_over_length_with_the_network_count() -> None:
    text = "x" * 281
    [finding] = checks.find_over_length(text, X_RULES, network="X", channel_id=7)
    assert (finding.code, finding.severity, finding.channel_id) == (
        "over_length",
        BLOCKER,
        7,
    )
    assert not finding.overridable
    assert "281" in finding.message
    assert "280" in finding.message
    assert checks.find_over_length("x" * 280, X_RULES, network="X") == []


def test_it_counts_an_x_url_as_23_for_length() -> None:
    text = "y" * 250 + " https://www.polizei.sachsen.de/" + "a" * 100
    assert checks.find_over_length(text, X_RULES, network="X") == []


def test_it_uses_the_caption_limit_when_media_are_attached() -> None:
    rules = TextRules(max_length=4096, counting=Counting.UTF16, max_caption_length=1024)
    text = "x" * 2000
    assert checks.find_over_length(text, rules, network="Telegram") == []
    assert checks.find_over_length(text, rules, network="Telegram", with_media=True)


def test_it_keeps_bluesky_to_3000_bytes_as_well_as_300_graphemes() -> None:
    bluesky = TextRules(max_length=300, counting=Counting.GRAPHEMES)
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    assert len(family.encode()) == 25
    text = family * 121  # 121 graphemes, 3,025 bytes
    [finding] = checks.find_over_length(text, bluesky, network="Polizei (Bluesky)")
    assert "3000 bytes" in finding.message
    assert checks.find_over_length(family * 120, bluesky, network="Bluesky") == []
    assert checks.find_over_length(text, bluesky, network="Mastodon") == []


def test_it_offers_a_thread_where_the_network_has_threads() -> None:
    [with_threads] = checks.find_over_length(
        "x" * 300, X_RULES, network="X", capabilities=Capabilities(threads=True)
    )
    [without] = checks.find_over_length(
        "x" * 300, X_RULES, network="X", capabilities=Capabilities(threads=False)
    )
    assert "thread" in with_threads.message
    assert "thread" not in without.message


# --- media -----------------------------------------------------------------


def item(kind: str = "image", mime: str = "image/jpeg", size: int = 1000, alt=""):
    return SimpleNamespace(kind=kind, mime_type=mime, size=size, alt_text=alt)


def test_it_blocks_images_without_alt_text() -> None:
    found = checks.find_missing_alt_text(
        [item(alt="Ein Streifenwagen"), item(alt="  "), item("video", "video/mp4")]
    )
    assert [(f.code, f.position, f.overridable) for f in found] == [
        ("alt_text_missing", 2, False)
    ]


def test_it_names_the_limit_of_a_network_that_refuses_the_media() -> None:
    rules = MediaRules(
        image_types=("image/jpeg",),
        max_images=2,
        video_types=("video/mp4",),
        max_video_bytes=40 * 1024 * 1024,
        alt_text_length=10,
    )
    media = [
        item(alt="a"),
        item(mime="image/heic", alt="b"),
        item(alt="c" * 11),
        item("video", "video/webm"),
        item("video", "video/mp4", size=41 * 1024 * 1024),
    ]
    found = checks.find_media_problems(media, rules, network="Instagram", channel_id=3)
    messages = {(f.code, f.position): f.message for f in found}
    assert set(messages) == {
        ("media_count", None),
        ("media_type", 2),
        ("alt_text_too_long", 3),
        ("media_type", 4),
        ("media_size", 5),
    }
    assert messages[("media_size", 5)] == (
        "Video 5: Instagram accepts videos up to 40 MB."
    )
    assert messages[("media_type", 4)] == (
        "Video 4: Instagram accepts video only as MP4."
    )
    assert messages[("media_count", None)] == (
        "Instagram accepts up to 2 images per post."
    )
    assert messages[("alt_text_too_long", 3)] == (
        "Image 3: Instagram accepts alt text up to 10 characters."
    )
    assert all(f.channel_id == 3 and f.severity == BLOCKER for f in found)


def test_it_warns_where_a_picture_gets_bars() -> None:
    from leitstelle.publishing.media import geometry_for

    panorama = SimpleNamespace(**vars(item(alt="x")), width=3000, height=500)
    square = SimpleNamespace(**vars(item(alt="x")), width=800, height=800)
    instagram = geometry_for("Instagram")
    [finding] = checks.find_media_problems(
        [square, panorama], MediaRules(), network="Instagram", geometry=instagram
    )
    assert (finding.code, finding.severity, finding.position) == (
        "image_bars",
        WARNING,
        2,
    )
    x = geometry_for("X")
    assert (
        checks.find_media_problems([panorama], MediaRules(), network="X", geometry=x)
        == []
    )


def test_it_requires_media_where_the_network_does() -> None:
    rules = MediaRules(requires_media=True)
    [finding] = checks.find_media_problems([], rules, network="Instagram")
    assert finding.code == "media_required"
    assert checks.find_media_problems([item(alt="x")], rules, network="Instagram") == []


def test_it_refuses_video_where_the_network_takes_none() -> None:
    [finding] = checks.find_media_problems(
        [item("video", "video/mp4")], MediaRules(), network="Bluesky"
    )
    assert finding.code == "video_unsupported"


def test_it_warns_that_a_gif_goes_out_still() -> None:
    media = [item(alt="x"), item(mime="image/gif", alt="x")]
    assert checks.find_media_problems(media, MediaRules(), network="X") == []
    [finding] = checks.find_gifs(media)
    assert (finding.code, finding.severity, finding.position) == (
        "gif_still",
        WARNING,
        2,
    )


def test_it_accepts_images_the_network_takes_after_conversion() -> None:
    rules = MediaRules(image_types=("image/jpeg",), max_image_bytes=1000)
    media = [item(mime="image/png", size=10**7, alt="Grafik")]
    assert checks.find_media_problems(media, rules, network="Instagram") == []


# --- whole posts -----------------------------------------------------------


@pytest.fixture
def channels(db) -> dict[str, Channel]:
    return {
        kind: Channel.objects.create(kind=kind, name=name, remote_id=f"{kind}-1")
        for kind, name in (
            ("x", "Polizei X"),
            ("instagram", "Polizei Instagram"),
            ("telegram", "Polizei Telegram"),
        )
    }


def make_post(editor, channels, text: str, **variants: str) -> Post:
    post = Post.objects.create(master_text=text, author=editor)
    for kind, channel in channels.items():
        Variant.objects.create(
            post=post, channel=channel, text=variants.get(kind, text)
        )
    return post


def test_it_checks_a_whole_post(editor, channels) -> None:
    settings_row = PublishingSettings.current()
    settings_row.watch_words = ["Gaffer"]
    settings_row.save()
    post = make_post(
        editor,
        channels,
        "Gaffer behinderten die Rettung. Hinweise: 0351 4832233",
        x="Gaffer behinderten die Rettung. " + "Sehr lange. " * 30,
        telegram="Kurz. Fahrer B-AB 1234 gesucht.",
    )
    MediaAsset.objects.create(
        post=post,
        file=ContentFile(b"x", name="bild.jpg"),
        kind="image",
        mime_type="image/jpeg",
        size=1,
        position=0,
    )
    found = checks.check_post(post, links=False)
    keys = {(f.code, f.channel_id) for f in found}
    x, telegram = channels["x"].pk, channels["telegram"].pk
    assert ("watch_word", None) in keys
    assert ("phone_number", None) in keys
    assert ("alt_text_missing", None) in keys
    assert ("over_length", x) in keys
    assert ("licence_plate", telegram) in keys
    # The watch word of the master text is not repeated for each variant.
    assert [f.channel_id for f in found if f.code == "watch_word"] == [None]
    assert ("media_required", channels["instagram"].pk) not in keys


def test_it_checks_each_part_of_a_thread(editor, channels) -> None:
    post = make_post(editor, {"x": channels["x"]}, "kurz")
    variant = post.variants.get()
    variant.parts = ["a" * 200, "b" * 300]
    variant.save()
    found = checks.check_post(post, links=False)
    [finding] = [f for f in found if f.code == "over_length"]
    assert finding.message == (
        "Part 2 is too long for Polizei X (X): 300 of 280 characters. Shorten it."
    )


def test_it_blocks_a_thread_where_the_network_has_none(editor, channels) -> None:
    post = make_post(editor, {"instagram": channels["instagram"]}, "kurz")
    variant = post.variants.get()
    variant.parts = ["eins", "zwei"]
    variant.save()
    found = checks.check_post(post, links=False)
    assert ("thread_unsupported", channels["instagram"].pk) in {f.key for f in found}


def test_it_asks_instagram_for_media(editor, channels) -> None:
    post = make_post(editor, {"instagram": channels["instagram"]}, "Ohne Bild")
    found = checks.check_post(post, links=False)
    assert [f.code for f in found] == ["media_required"]


def test_it_blocks_a_broken_captions_file(editor, channels) -> None:
    post = make_post(editor, {}, "Video")
    MediaAsset.objects.create(
        post=post,
        file=ContentFile(b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nHallo\n", "c.vtt"),
        kind="captions",
        mime_type="text/vtt",
        original_name="c.vtt",
    )
    [finding] = checks.check_post(post, links=False)
    assert (finding.code, finding.excerpt, finding.overridable) == (
        "captions_invalid",
        "c.vtt",
        False,
    )
    assert "Line 3" in finding.message


@respx.mock
def test_it_reports_dead_links_as_warnings(editor, channels, settings) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    respx.head("https://polizei.example.de/ok").respond(200)
    respx.head("https://polizei.example.de/weg").respond(404)
    respx.get("https://polizei.example.de/weg").respond(404)
    post = make_post(
        editor,
        {"x": channels["x"]},
        "Siehe https://polizei.example.de/ok und https://polizei.example.de/weg",
    )
    [finding] = checks.check_post(post)
    assert (finding.code, finding.severity, finding.excerpt) == (
        "link_dead",
        WARNING,
        "https://polizei.example.de/weg",
    )


def test_it_names_the_check_and_channel_an_override_must_match() -> None:
    finding = Finding(code="over_length", severity=BLOCKER, message="", channel_id=3)
    assert finding.key == ("over_length", 3)
    assert finding.is_blocker
    assert not Finding(code="email", severity=WARNING, message="").is_blocker


def test_it_lists_exactly_the_codes_nobody_may_override() -> None:
    rules = MediaRules(image_types=("image/jpeg",), max_images=1, alt_text_length=1)
    media = [item(mime="image/heic", alt="ab"), item(), item("video", "video/mp4")]
    found = (
        checks.find_media_problems(media, rules, network="X")
        + checks.find_media_problems([], MediaRules(requires_media=True), network="I")
        + checks.find_media_problems(
            [item("video", "video/mp4", size=10)],
            MediaRules(video_types=("video/mp4",), max_video_bytes=1),
            network="M",
        )
        + checks.find_missing_alt_text(media)
        + checks.find_over_length("x" * 300, X_RULES, network="X")
        + checks.find_personal_data("geb. 01.02.1990, Tel. 0351 4832233")
    )
    fixed = {f.code for f in found if not f.overridable}
    assert fixed == checks.NOT_OVERRIDABLE - {"captions_invalid", "thread_unsupported"}
    assert {f.code for f in found if f.overridable}.isdisjoint(checks.NOT_OVERRIDABLE)


@pytest.mark.parametrize(
    "alt", ["Bild", "foto", "IMG_1234", "IMG_1234.JPG", "DSC01234", "bild.png", "-"]
)
def test_it_warns_about_alt_text_that_describes_nothing(alt: str) -> None:
    [finding] = checks.find_missing_alt_text([item(alt=alt)])
    assert (finding.code, finding.severity) == ("alt_text_poor", WARNING)


def test_it_takes_a_real_description_as_alt_text() -> None:
    alt = "Zwei Polizeiautos vor dem Revier Dresden-Mitte, Blaulicht an."
    assert checks.find_missing_alt_text([item(alt=alt)]) == []


def test_it_warns_about_videos_without_captions() -> None:
    media = [item("video", "video/mp4"), item(alt="x"), item("video", "video/mp4")]
    found = checks.find_missing_captions(media, captioned=[1])
    assert [(f.code, f.position, f.severity) for f in found] == [
        ("captions_missing", 3, WARNING)
    ]


def add_media(post: Post, kind: str, mime: str, content: bytes, **fields):
    name = {"image": "bild.jpg", "video": "film.mp4", "captions": "film.vtt"}[kind]
    return MediaAsset.objects.create(
        post=post,
        file=ContentFile(content, name=name),
        kind=kind,
        mime_type=mime,
        size=len(content),
        original_name=name,
        **fields,
    )


VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHallo\n"


def test_it_counts_captions_for_the_video_they_belong_to(editor, channels) -> None:
    post = make_post(editor, {}, "Zwei Videos")
    first = add_media(post, "video", "video/mp4", b"v", position=0)
    add_media(post, "video", "video/mp4", b"w", position=1)
    add_media(post, "captions", "text/vtt", VTT, captions_for=first, position=2)
    found = checks.check_post(post, links=False)
    assert [(f.code, f.position) for f in found] == [("captions_missing", 2)]


def test_it_gives_loose_captions_to_the_only_video(editor, channels) -> None:
    post = make_post(editor, {}, "Ein Video")
    add_media(post, "video", "video/mp4", b"v", position=0)
    add_media(post, "captions", "text/vtt", VTT, position=1)
    assert checks.check_post(post, links=False) == []


def test_it_finds_personal_data_in_alt_text(editor, channels) -> None:
    post = make_post(editor, {}, "Unfall")
    add_media(post, "image", "image/jpeg", b"x", alt_text="Pkw B-XY 123 vor dem Haus")
    found = checks.check_post(post, links=False)
    assert [(f.code, f.excerpt) for f in found] == [("licence_plate", "B-XY 123")]


def test_it_keeps_links_out_when_asked(editor, channels) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.head(url__regex=r".*").mock(side_effect=httpx.ConnectError("x"))
        post = make_post(editor, {}, "https://polizei.example.de/")
        assert checks.check_post(post, links=False) == []
    assert not route.called


def test_it_lets_an_approver_override_a_blocker_but_not_a_fixed_one(
    editor, approver, channels
) -> None:
    from leitstelle.publishing import services

    post = make_post(
        editor, {"x": channels["x"]}, "Halter B-AB 1234 gesucht. " + "x" * 280
    )
    blockers = {f.key for f in services.open_blockers(post)}
    x = channels["x"].pk
    assert blockers == {("licence_plate", None), ("over_length", x)}
    services.override_check(
        post=post, actor=approver, code="licence_plate", reason="Fahndung"
    )
    with pytest.raises(services.NotAllowed):
        services.override_check(
            post=post,
            actor=approver,
            code="over_length",
            channel=channels["x"],
            reason="passt schon",
        )
    assert {f.key for f in services.open_blockers(post)} == {("over_length", x)}
