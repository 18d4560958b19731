"""Length counting per network, against the networks' documented examples.

The X cases come from twitter-text's conformance suite
(https://github.com/twitter/twitter-text/blob/master/conformance/validate.yml,
"WeightedTweetsWithDiscountedEmojiCounterTest", the v3 rules).
"""

# ruff: noqa: RUF001 (the samples are meant to hold look-alike characters)
from __future__ import annotations

import pytest

from leitstelle.lib import text
from leitstelle.networks.base import Counting, TextRules

X = TextRules(max_length=280, counting=Counting.WEIGHTED, url_length=23)
BLUESKY = TextRules(max_length=300, counting=Counting.GRAPHEMES)
MASTODON = TextRules(max_length=500, counting=Counting.GRAPHEMES, url_length=23)
TELEGRAM = TextRules(max_length=4096, counting=Counting.UTF16, max_caption_length=1024)
PLAIN = TextRules(max_length=2200)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
RAISED_HAND_MEDIUM_SKIN = "\U0001f64b\U0001f3fd"
SINGER = "\U0001f468\u200d\U0001f3a4"
GERMAN_FLAG = "\U0001f1e9\U0001f1ea"
CJK_160 = (
    "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"
    "朱雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。"
    "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
    "泪湿罗巾梦不成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。"
    "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。"
)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("Hi http://test.co", 26),
        ("http://test.co", 23),
        ("https://www.twitter.com/aloha " * 10, 240),
        ("Test https://test.com test https://test.com test.com test", 86),
        ("randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com", 68),
    ],
)
def test_it_counts_every_x_url_as_23(sample: str, expected: int) -> None:
    """A URL weighs 23, with or without protocol; an invalid host does not."""
    assert text.count(sample, X) == expected


def test_it_weighs_cjk_double_on_x() -> None:
    assert len(CJK_160) == 160
    assert text.count(CJK_160, X) == 320
    assert text.count("the" + CJK_160, X) == 323


def test_it_weighs_each_x_emoji_sequence_as_two() -> None:
    """ZWJ families and skin tones are one emoji each (emojiParsingEnabled)."""
    assert text.count("H\U0001f431\u263a" + FAMILY, X) == 7
    assert text.count("😷👾😡🔥💩", X) == 10
    assert text.count(RAISED_HAND_MEDIUM_SKIN + SINGER, X) == 4
    assert text.count("😷" * 160, X) == 320


def test_it_weighs_general_punctuation_as_one_on_x() -> None:
    sample = (
        "This is a tweet with general punctuation characters: "
        "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
        "\u200b ‐ ‑ ‒ – — ― ‖  ‗ ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‴ ‵ ‶ ‷"
    )
    assert text.count(sample, X) == 110


def test_it_normalises_combining_characters_before_weighing_on_x() -> None:
    """'Á' is one character after NFC; 'שּׁ' stays three code points."""
    assert text.count("A\u0301B", X) == 2
    assert text.count("ÁB", X) == 2
    assert text.count("A\ufb2c", X) == 4


def test_it_counts_bare_country_domains_as_urls_only_with_path_or_subdomain() -> None:
    assert text.count("foo.jp", X) == 6
    assert text.count("t.co/abcde", X) == 23
    assert text.count("foo.co.jp", X) == 23
    assert text.count("polizei.sachsen.de", X) == 23


def test_it_counts_code_points_outside_the_bmp_once() -> None:
    assert text.count("\U00010000\U0010ffff", X) == 4
    assert text.count("\U00010000\U0010ffff", PLAIN) == 2


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (FAMILY, 1),
        (RAISED_HAND_MEDIUM_SKIN, 1),
        (GERMAN_FLAG, 1),
        ("e\u0301", 1),
        ("日本語", 3),
        ("Hallo 👋", 7),
    ],
)
def test_it_counts_graphemes_for_bluesky(sample: str, expected: int) -> None:
    assert text.count(sample, BLUESKY) == expected


def test_it_counts_a_bluesky_url_in_full() -> None:
    url = "https://www.polizei.sachsen.de/de/presse.html"
    assert text.count(url, BLUESKY) == len(url)


def test_it_counts_every_mastodon_url_as_23() -> None:
    sample = "Mehr: https://www.polizei.sachsen.de/de/presse/meldung-123.html"
    assert text.count(sample, MASTODON) == len("Mehr: ") + 23


def test_it_counts_a_mastodon_mention_by_its_local_part() -> None:
    assert text.count("@polizei@social.bund.de hallo", MASTODON) == len(
        "@polizei hallo"
    )


def test_it_leaves_an_email_address_alone_on_mastodon() -> None:
    assert text.count("info@polizei.de", MASTODON) == len("info@polizei.de")


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("a", 1), ("ä", 1), ("😀", 2), (FAMILY, 11), ("日本語", 3), (GERMAN_FLAG, 4)],
)
def test_it_counts_utf16_code_units_for_telegram(sample: str, expected: int) -> None:
    assert text.count(sample, TELEGRAM) == expected


@pytest.mark.parametrize(
    ("sample", "expected"), [(FAMILY, 7), ("e\u0301", 2), ("日本語", 3), ("x", 1)]
)
def test_it_counts_code_points_by_default(sample: str, expected: int) -> None:
    assert text.count(sample, PLAIN) == expected


def test_it_uses_the_caption_limit_for_text_with_media() -> None:
    assert text.limit(TELEGRAM) == 4096
    assert text.limit(TELEGRAM, with_media=True) == 1024
    assert text.limit(PLAIN, with_media=True) == 2200


def test_it_tells_whether_a_text_fits() -> None:
    assert text.fits("x" * 280, X)
    assert not text.fits("x" * 281, X)
    assert not text.fits("x" * 1025, TELEGRAM, with_media=True)


# --- Examples from the networks' own documentation -------------------------
# X: https://docs.x.com/fundamentals/counting-characters (emoji table, URLs,
# NFC, CJK); Bluesky: app.bsky.feed.post text maxGraphemes 300; Mastodon:
# StatusLengthValidator counts grapheme clusters, URLs as 23; Telegram Bot API:
# 4,096 characters, 1,024 for captions, offsets in UTF-16 code units.

SPACE_INVADER = "\U0001f47e"


@pytest.mark.parametrize(
    "emoji", [SPACE_INVADER, RAISED_HAND_MEDIUM_SKIN, SINGER, FAMILY, GERMAN_FLAG]
)
def test_it_counts_every_emoji_of_the_x_docs_as_two(emoji: str) -> None:
    assert text.count(emoji, X) == 2
    assert text.fits(emoji * 140, X)
    assert not text.fits(emoji * 141, X)


@pytest.mark.parametrize(
    "url", ["https://example.com", "https://example.com/very/long/path"]
)
def test_it_counts_the_x_docs_urls_as_23(url: str) -> None:
    assert text.count(url, X) == 23


def test_it_counts_the_x_docs_hello_world() -> None:
    assert text.count("Hello, world! \U0001f44b", X) == 16


def test_it_counts_cafe_as_four_on_x_whether_composed_or_not() -> None:
    """The docs' NFC example: 'café' and 'cafe' + U+0301 both count 4."""
    assert text.count("caf\u00e9", X) == 4
    assert text.count("cafe\u0301", X) == 4


@pytest.mark.parametrize("sample", ["日", "本", "한", "あ"])
def test_it_allows_140_cjk_characters_on_x(sample: str) -> None:
    assert text.fits(sample * 140, X)
    assert not text.fits(sample * 141, X)


def test_it_allows_300_graphemes_on_bluesky_however_many_code_points() -> None:
    assert text.fits(FAMILY * 300, BLUESKY)
    assert not text.fits(FAMILY * 301, BLUESKY)
    assert text.fits("e\u0301" * 300, BLUESKY)
    assert not text.fits("e\u0301" * 301, BLUESKY)


def test_it_counts_combining_characters_as_one_on_mastodon() -> None:
    assert text.count("Stra\u00dfe cafe\u0301 " + FAMILY, MASTODON) == 13


def test_it_counts_a_mastodon_post_with_urls_and_mentions() -> None:
    sample = (
        "Hinweise an @polizei@social.bund.de bitte, siehe "
        "https://www.polizei.sachsen.de/de/presse/meldung-12345.html und "
        "http://polizei.example/a"
    )
    expected = len("Hinweise an @polizei bitte, siehe ") + 23 + len(" und ") + 23
    assert text.count(sample, MASTODON) == expected


def test_it_counts_telegram_emoji_as_two_utf16_units() -> None:
    assert text.fits("\U0001f600" * 2048, TELEGRAM)
    assert not text.fits("\U0001f600" * 2049, TELEGRAM)
    assert text.fits("ä" * 1024, TELEGRAM, with_media=True)
    assert not text.fits("ä" * 1025, TELEGRAM, with_media=True)


@pytest.mark.parametrize(
    ("kind", "maximum", "caption"),
    [
        ("x", 280, None),
        ("bluesky", 300, None),
        ("mastodon", 500, None),
        ("threads", 500, None),
        ("instagram", 2200, None),
        ("facebook", 63206, None),
        ("telegram", 4096, 1024),
    ],
)
def test_it_knows_each_networks_documented_limit(
    kind: str, maximum: int, caption: int | None
) -> None:
    from leitstelle.networks import registry

    rules = registry.connector_class(kind).text_rules
    assert text.limit(rules) == maximum
    assert text.limit(rules, with_media=True) == (caption or maximum)


def test_it_counts_urls_as_23_on_x_and_mastodon_connectors() -> None:
    from leitstelle.networks import registry

    url = "https://www.polizei.sachsen.de/" + "a" * 100
    for kind in ("x", "mastodon"):
        rules = registry.connector_class(kind).text_rules
        assert text.count(url, rules) == 23
    assert text.count(url, registry.connector_class("bluesky").text_rules) == len(url)
