"""Count a post's length the way each network counts it.

`count(text, rules)` dispatches on `TextRules.counting`:

- CHARACTERS: Unicode code points.
- GRAPHEMES: user-perceived characters (extended grapheme clusters, UAX #29),
  as Bluesky (300) and Mastodon (500) count.
- WEIGHTED: X's twitter-text v3 rules.
- UTF16: UTF-16 code units, as Telegram counts.

When `rules.url_length` is set, every http(s) URL counts as that many and a
fediverse mention `@user@domain` counts only as `@user`: Mastodon's
StatusLengthValidator replaces both before it counts
(https://github.com/mastodon/mastodon/blob/main/app/validators/status_length_validator.rb).
"""

from __future__ import annotations

import unicodedata

import regex

from leitstelle.networks.base import Counting, TextRules

# twitter-text v3 (https://github.com/twitter/twitter-text/blob/master/config/v3.json):
# weights are in hundredths; code points outside the ranges weigh 200.
X_SCALE = 100
X_DEFAULT_WEIGHT = 200
X_RANGES: tuple[tuple[int, int, int], ...] = (
    (0, 4351, 100),  # Latin to Hangul Jamo
    (8192, 8205, 100),  # spaces, ZWSP, ZWNJ, ZWJ
    (8208, 8223, 100),  # dashes and quotation marks
    (8242, 8247, 100),  # primes
)
X_URL_LENGTH = 23

GRAPHEME = regex.compile(r"\X")
# A cluster that twemoji's parser takes for one emoji: it weighs 200 whatever
# its length (emojiParsingEnabled).
EMOJI = regex.compile(
    r"\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F"
    r"|[#*0-9]\uFE0F?\u20E3|\p{Regional_Indicator}"
)

# A host label is 1-63 characters (RFC 1035); longer ones are no URL.
LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
TRAILING = r"(?:[/?#](?:[^\s<>\"]*[^\s<>\"'.,:;!?)\]}])?)?"
URL_WITH_PROTOCOL = regex.compile(
    rf"(?<![A-Za-z0-9@$#])https?://(?:{LABEL}\.)+{LABEL}(?::\d{{1,5}})?{TRAILING}",
    regex.IGNORECASE,
)
# twitter-text also counts bare domains: on a generic TLD always, on a
# two-letter country TLD only with a path or a subdomain ("t.co/x",
# "polizei.sachsen.de", not "polizei.de"). Its full TLD list is
# approximated by the common generic TLDs.
GENERIC_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|name|pro|mobi|aero|coop|museum|jobs"
    "|travel|app|dev|online|site|shop|store|blog|news|media|tech|cloud|live"
    "|email|berlin|hamburg|koeln|cologne|bayern|nrw|saarland|ruhr"
)
BARE_DOMAIN = regex.compile(
    r"(?<![A-Za-z0-9@$#._/-])"
    r"(?P<labels>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)"
    rf"(?P<tld>{GENERIC_TLDS}|[a-z]{{2}})(?![A-Za-z0-9@+_-])"
    rf"(?P<path>{TRAILING})",
    regex.IGNORECASE,
)
# Mastodon's Account::MENTION_RE: the domain part of a mention is not counted.
MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)@[\w.-]*\w",
    regex.IGNORECASE,
)


def count(text: str, rules: TextRules) -> int:
    """Return the length of `text` as the network of `rules` counts it."""
    if rules.counting == Counting.WEIGHTED:
        return count_weighted(text, url_length=rules.url_length or X_URL_LENGTH)
    if rules.url_length is not None:
        text = shorten_for_counting(text, url_length=rules.url_length)
    if rules.counting == Counting.GRAPHEMES:
        return count_graphemes(text)
    if rules.counting == Counting.UTF16:
        return count_utf16(text)
    return count_characters(text)


def limit(rules: TextRules, *, with_media: bool = False) -> int:
    """Return the maximum length, which may differ for a caption."""
    if with_media and rules.max_caption_length is not None:
        return rules.max_caption_length
    return rules.max_length


def fits(text: str, rules: TextRules, *, with_media: bool = False) -> bool:
    return count(text, rules) <= limit(rules, with_media=with_media)


def count_characters(text: str) -> int:
    return len(text)


def count_graphemes(text: str) -> int:
    return sum(1 for _ in GRAPHEME.finditer(text))


def count_utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def shorten_for_counting(text: str, *, url_length: int) -> str:
    """Replace URLs by `url_length` x's and `@user@domain` by `@user`."""
    text = URL_WITH_PROTOCOL.sub("x" * url_length, text)
    return MENTION.sub(r"@\g<user>", text)


def count_weighted(text: str, *, url_length: int = X_URL_LENGTH) -> int:
    """Return X's weighted length (twitter-text v3, `parseTweet`)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for start, end in url_spans(text):
        total += weigh(text[position:start])
        total += url_length * X_SCALE
        position = end
    total += weigh(text[position:])
    return total // X_SCALE


def url_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) of every URL twitter-text would extract."""
    spans = [match.span() for match in URL_WITH_PROTOCOL.finditer(text)]
    for match in BARE_DOMAIN.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue
        # "polizei.de" alone is no link, "polizei.de/x" and "a.polizei.de" are.
        bare_short = not match["path"] and match["labels"].count(".") < 2
        if is_country_tld(match["tld"]) and bare_short:
            continue
        spans.append(match.span())
    return sorted(spans)


def is_country_tld(tld: str) -> bool:
    return len(tld) == 2


def weigh(text: str) -> int:
    """Return the weight of text without URLs, in hundredths."""
    total = 0
    for cluster in GRAPHEME.findall(text):
        if EMOJI.match(cluster):
            total += X_DEFAULT_WEIGHT
        else:
            total += sum(code_point_weight(ord(char)) for char in cluster)
    return total


def code_point_weight(code_point: int) -> int:
    for start, end, weight in X_RANGES:
        if start <= code_point <= end:
            return weight
    return X_DEFAULT_WEIGHT
