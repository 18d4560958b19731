"""Pre-publish checks: what a post should not carry before it goes out.

The pure functions take text (or media described by a few attributes) and
return `Finding`s; `check_post(post)` runs them all over a post, its variants
(each with its channel's rules) and its media. Nothing here changes data.

Severity: a *blocker* stops approval until it is fixed or, where
`overridable`, an approver overrides it with a reason; a *warning* is shown
and may be ignored. Over-length, missing alt text and media a network refuses
cannot be overridden: the network would refuse the post or the law demands it.

Personal data: licence plates, IBANs, dates of birth and watch-list words are
blockers (an approver may override them, e.g. for a manhunt); phone numbers,
e-mail addresses and street addresses are warnings, since posts often carry
the police's own hotline, mailbox or station address. The patterns are tuned
against false positives: they would rather miss an unusual spelling than nag
about every number in a report.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import regex
from django.utils.translation import gettext as _

from leitstelle.lib import text as counting
from leitstelle.networks.base import Capabilities, MediaRules, TextRules
from leitstelle.publishing.media import (
    Geometry,
    MediaError,
    geometry_for,
    human_size,
    parse_captions,
)

if TYPE_CHECKING:
    from leitstelle.publishing.links import LinkResult

WARNING = "warning"
BLOCKER = "blocker"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # WARNING or BLOCKER
    message: str
    channel_id: int | None = None
    excerpt: str = ""  # the words in the text the finding is about
    overridable: bool = True
    position: int | None = None  # the attachment (from 1) it is about

    @property
    def is_blocker(self) -> bool:
        return self.severity == BLOCKER

    @property
    def key(self) -> tuple[str, int | None]:
        """What an override names: the check and, per variant, the channel."""
        return (self.code, self.channel_id)


class MediaLike(Protocol):
    """What the checks read of an attachment (a MediaAsset fits)."""

    kind: str  # "image", "video" or "captions"
    mime_type: str
    size: int
    alt_text: str


# --- personal data ---------------------------------------------------------

# German licence plates (FZV): district 1-3 letters, 1-2 letters, 1-4 digits,
# E (electric) or H (historic); at most 8 characters without separators.
# A separator between district and letters is required: without it
# "BAB1234" is ambiguous.
PLATE = regex.compile(
    r"(?<![\w-])(?P<district>[A-ZÄÖÜ]{1,3})(?P<sep>[- ]|\u2013)"
    r"(?P<letters>[A-Z]{1,2})[ ]?(?P<digits>[1-9]\d{0,3})(?P<suffix>[EH])?(?![\w-])"
)
YEAR = regex.compile(r"(?:19|20)\d\d")

# Phone numbers: international (+49, 0049, any +CC) or national with a
# leading 0, digits grouped by spaces, slashes, dashes and brackets.
PHONE = regex.compile(
    r"(?<![\w+/.,-])"
    r"(?:(?:\+|00)[1-9]\d{0,2}[ ]?(?:\(0\)[ ]?)?[1-9]|\(?0[1-9])"
    r"(?:[\d/() \-\u2013]*\d)?(?![\w.,]?\d)"
)
PHONE_DIGITS = (7, 15)

EMAIL = regex.compile(
    r"(?<![\w.+@-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])"
)

# IBAN: two letters, two check digits, then a country's fixed number of
# characters, in groups of four or written together.
IBAN_START = regex.compile(r"(?<![\w])(?P<country>[A-Z]{2})(?P<check>\d{2})")
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24,
    "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22,
    "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TR": 26, "UA": 29, "VA": 22,
}  # fmt: skip

MONTHS = (
    r"Januar|Jänner|Februar|März|Maerz|April|Mai|Juni|Juli|August|September"
    r"|Oktober|November|Dezember|Jan\.|Feb\.|Mär\.|Apr\.|Jun\.|Jul\.|Aug\."
    r"|Sep\.|Sept\.|Okt\.|Nov\.|Dez\."
)
FULL_DATE = rf"\d{{1,2}}\.[ ]?(?:\d{{1,2}}\.|(?:{MONTHS}))[ ]?(?:\d{{4}}|\d{{2}})(?!\d)"
DATE_OF_BIRTH = regex.compile(
    r"(?:(?<!\w)(?:geb\.|geboren|Geburtsdatum|Geb\.-Datum|born|date of birth)"
    rf"(?:[ ]?:|[ ]am|[ ]on)?[ ]?(?:{FULL_DATE}|(?:19|20)\d\d(?!\d))"
    rf"|(?<![\w*])\*[ ]?{FULL_DATE})",
    regex.IGNORECASE,
)

# Street addresses with a house number: "Hauptstraße 12", "Dresdner Str. 5",
# "Karl-Marx-Allee 33a", "Am Markt 3a", "Hauptstr. 12-14".
STREET_SUFFIXES = (
    "straße|strasse|str\\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|pfad"
    "|steig|stieg|markt|promenade|graben|wall|zeile|kai"
)
STANDALONE_STREETS = (
    "Straße|Strasse|Str\\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee|Markt"
    "|Steig|Pfad|Promenade|Graben"
)
PREPOSITIONS = (
    "Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Zum|Zur|Unter den"
    "|Hinter der|Hinter dem|Vor dem|Beim|Alte|Alter|Neue|Neuer"
)
HOUSE_NUMBER = (
    r"(?P<number>[1-9]\d{0,2}(?:[ ]?[a-zA-Z](?![\w]))?"
    r"(?:[ ]?[-\u2013/][ ]?[1-9]\d{0,2}[a-z]?)?)(?![\w]|[.,:]\d)"
)
STREET_ADDRESS = regex.compile(
    r"(?<![\w-])(?P<street>"
    rf"(?:[A-ZÄÖÜ][\w-]*\s)?[A-ZÄÖÜ][\w-]*?"
    rf"(?:{STREET_SUFFIXES}|-(?:{STANDALONE_STREETS}))"
    rf"|[A-ZÄÖÜ][\w-]*\s(?:{STANDALONE_STREETS})"
    rf"|(?:{PREPOSITIONS})\s[A-ZÄÖÜ][\w-]+"
    rf")(?:\s+|(?<=\.)){HOUSE_NUMBER}"
)
# Roads, not addresses: "Bundesstraße 96", "Kreisstraße 12".
ROADS = regex.compile(r"(?:Bundes|Staats|Landes|Kreis|Gemeinde)stra(?:ß|ss)e|Autobahn")
# After "Am …", "Im …" these nouns are time or counting, not a street.
NOT_STREETS = frozenset(
    " ".join(
        (
            "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonnabend Sonntag",
            "Wochenende Morgen Vormittag Mittag Nachmittag Abend Nacht Tag Tage",
            "Woche Kalenderwoche Monat Jahr Jahre Zeitraum Vergleich Durchschnitt",
            "Schnitt Alter Einsatz Einsatzgebiet Bereich Raum Landkreis Kreis Fall",
            "Abschnitt Paragraph Absatz Artikel Kapitel Punkt Schritt Januar Februar",
            "März April Mai Juni Juli August September Oktober November Dezember",
            "Verlauf Laufe Rahmen Anschluss Ergebnis Ende Anfang Zuge Moment",
            "Augenblick Sommer Winter Frühjahr Herbst Vorjahr Jahresvergleich",
            "Gesamten Folgenden",
        )
    ).split()
)
# A count or a time, not a house number: "12 Uhr", "3 Personen", "5 km".
COUNTED = regex.compile(
    r"\s*(?:[A-ZÄÖÜ][a-zäöüß]|(?:Uhr|h|km|m|kg|g|l|%|€|EUR|Euro|Jahre?|mal)\b|%|€)"
)


def find_personal_data(text: str) -> list[Finding]:
    """Return licence plates, phone numbers, e-mails, IBANs, dates of birth
    and street addresses in `text`, in the order they appear."""
    found: list[tuple[int, int, Finding]] = []

    def add(start: int, end: int, finding: Finding) -> None:
        if any(start < e and s < end for s, e, _f in found):
            return  # an earlier, more specific pattern already holds it
        found.append((start, end, finding))

    for start, end, excerpt in _ibans(text):
        add(start, end, personal("iban", excerpt, BLOCKER))
    for match in EMAIL.finditer(text):
        add(*match.span(), personal("email", match[0], WARNING))
    for match in DATE_OF_BIRTH.finditer(text):
        add(*match.span(), personal("date_of_birth", match[0], BLOCKER))
    for match in PLATE.finditer(text):
        if _is_plate(match):
            add(*match.span(), personal("licence_plate", match[0], BLOCKER))
    for match in PHONE.finditer(text):
        digits = sum(char.isdigit() for char in match[0])
        if PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            add(*match.span(), personal("phone_number", match[0], WARNING))
    for match in STREET_ADDRESS.finditer(text):
        if _is_address(match, text):
            add(*match.span(), personal("street_address", match[0], WARNING))
    return [finding for _s, _e, finding in sorted(found, key=lambda row: row[0])]


def personal(code: str, excerpt: str, severity: str) -> Finding:
    messages = {
        "iban": _("Bank account number (IBAN)"),
        "email": _("E-mail address"),
        "date_of_birth": _("Date of birth"),
        "licence_plate": _("Licence plate"),
        "phone_number": _("Phone number"),
        "street_address": _("Street address with house number"),
    }
    message = _("%(what)s: is it meant to be public?") % {"what": messages[code]}
    return Finding(code=code, severity=severity, message=message, excerpt=excerpt)


def _is_plate(match: regex.Match[str]) -> bool:
    plain = match["district"] + match["letters"] + match["digits"]
    if len(plain) + len(match["suffix"] or "") > 8:
        return False
    # "LKA NRW 2024": with a space, a year is likelier than a plate.
    return not (match["sep"] == " " and YEAR.fullmatch(match["digits"]))


def _is_address(match: regex.Match[str], text: str) -> bool:
    street = match["street"]
    if ROADS.search(street):
        return False
    last_word = street.split()[-1]
    if last_word in NOT_STREETS:
        return False
    return not COUNTED.match(text, match.end())


def _ibans(text: str) -> Iterable[tuple[int, int, str]]:
    for match in IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match["country"])
        if length is None:
            continue
        end = match.end()
        chars = match[0]
        while len(chars) < length and end < len(text):
            char = text[end]
            if char == " " and end + 1 < len(text) and text[end + 1].isalnum():
                end += 1
                continue
            if not (char.isascii() and char.isalnum()):
                break
            chars += char.upper()
            end += 1
        if len(chars) != length:
            continue
        if end < len(text) and text[end].isascii() and text[end].isalnum():
            continue  # longer than an IBAN of this country
        if iban_is_valid(chars):
            yield match.start(), end, text[match.start() : end]


def iban_is_valid(iban: str) -> bool:
    """Check an IBAN (without spaces) with the ISO 13616 mod-97 rule."""
    iban = iban.replace(" ", "").upper()
    if not regex.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", iban):
        return False
    if IBAN_LENGTHS.get(iban[:2], len(iban)) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


# --- watch list ------------------------------------------------------------

TRANSLITERATIONS = {"ä": "(?:ä|ae)", "ö": "(?:ö|oe)", "ü": "(?:ü|ue)", "ß": "(?:ß|ss)"}
REVERSE = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))


def watch_pattern(word: str) -> str:
    """Return a pattern for one watch-list entry: whole words, any case,
    umlauts also as ae/oe/ue and ß as ss."""
    word = unicodedata.normalize("NFC", word.strip().casefold())
    for plain, umlaut in REVERSE:
        word = word.replace(plain, umlaut)
    parts = []
    for char in word:
        if char in TRANSLITERATIONS:
            parts.append(TRANSLITERATIONS[char])
        elif char.isspace():
            parts.append(r"\s+")
        else:
            parts.append(regex.escape(char))
    return "".join(parts)


def find_watch_words(text: str, words: Iterable[str]) -> list[Finding]:
    """Return every occurrence of a watch-list word, as a blocker."""
    entries = sorted({w.strip() for w in words if w and w.strip()}, key=len)
    if not entries:
        return []
    alternatives = "|".join(watch_pattern(word) for word in reversed(entries))
    pattern = regex.compile(
        rf"(?<!\w)(?:{alternatives})(?!\w)",
        regex.IGNORECASE | regex.FULLCASE,
    )
    text = unicodedata.normalize("NFC", text)
    return [
        Finding(
            code="watch_word",
            severity=BLOCKER,
            message=_("“%(word)s” is on the organisation's watch list.")
            % {"word": match[0]},
            excerpt=match[0],
        )
        for match in pattern.finditer(text)
    ]


# --- length ----------------------------------------------------------------


# Beside its 300 graphemes, Bluesky's app.bsky.feed.post lexicon limits the
# text to 3,000 bytes of UTF-8 (maxLength).
MAX_BYTES = {"bluesky": 3000}


def network_label(network: str) -> str:
    """ "Polizei (Bluesky)" or "Bluesky" -> "bluesky"."""
    match = regex.search(r"\(([^()]*)\)\s*$", network)
    return (match[1] if match else network).strip().casefold()


def find_over_length(
    text: str,
    rules: TextRules,
    *,
    network: str,
    channel_id: int | None = None,
    with_media: bool = False,
    capabilities: Capabilities | None = None,
    part: int | None = None,
) -> list[Finding]:
    """Return a blocker when `text` (`part` of a thread) is longer than the
    network counts."""
    length = counting.count(text, rules)
    maximum = counting.limit(rules, with_media=with_media)
    max_bytes = MAX_BYTES.get(network_label(network))
    if max_bytes and len(text.encode()) > max_bytes:
        return [
            Finding(
                code="over_length",
                severity=BLOCKER,
                message=_(
                    "Too long for %(network)s: it stores at most %(limit)d bytes, "
                    "and emoji and special characters take several. Shorten it."
                )
                % {"network": network, "limit": max_bytes},
                channel_id=channel_id,
                overridable=False,
            )
        ]
    if length <= maximum:
        return []
    values = {"network": network, "length": length, "limit": maximum, "part": part}
    if part is not None:
        message = _(
            "Part %(part)d is too long for %(network)s: %(length)d of %(limit)d "
            "characters."
        )
    else:
        message = _("Too long for %(network)s: %(length)d of %(limit)d characters.")
    message %= values
    if part is None and capabilities is not None and capabilities.threads:
        message += " " + _("Shorten it or split it into a thread.")
    else:
        message += " " + _("Shorten it.")
    return [
        Finding(
            code="over_length",
            severity=BLOCKER,
            message=message,
            channel_id=channel_id,
            overridable=False,
        )
    ]


# --- media -----------------------------------------------------------------

READABLE_IMAGES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/bmp",
    "image/tiff",
)


# Alt text that says nothing: a placeholder or the camera's file name.
PLACEHOLDER_ALT = regex.compile(
    r"(?:bild|foto|photo|image|img|picture|grafik|graphic|alt|alt ?text|"
    r"beschreibung|description|[-.\s_]*)"
    r"|(?:IMG|DSC|DSCN|DSCF|PXL|GOPR|Screenshot|Bildschirmfoto)[\w\s.:,-]*"
    r"|[\w-]+\.(?:jpe?g|png|gif|webp|heic|tiff?|bmp)",
    regex.IGNORECASE,
)


def find_missing_alt_text(media: Sequence[MediaLike]) -> list[Finding]:
    """Every image needs alt text (accessibility law for public bodies); a
    placeholder such as "Bild" or "IMG_1234.jpg" is only a warning."""
    findings = []
    for position, item in enumerate(media, start=1):
        if item.kind != "image":
            continue
        alt_text = (item.alt_text or "").strip()
        values = {"position": position}
        if not alt_text:
            findings.append(
                Finding(
                    code="alt_text_missing",
                    severity=BLOCKER,
                    message=_("Image %(position)d has no alt text.") % values,
                    position=position,
                    overridable=False,
                )
            )
        elif PLACEHOLDER_ALT.fullmatch(alt_text):
            findings.append(
                Finding(
                    code="alt_text_poor",
                    severity=WARNING,
                    message=_(
                        "The alt text of image %(position)d does not describe "
                        "the picture."
                    )
                    % values,
                    position=position,
                )
            )
    return findings


def find_gifs(media: Sequence[MediaLike]) -> list[Finding]:
    """A GIF goes out as its first picture (publishing.media): say so."""
    return [
        Finding(
            code="gif_still",
            severity=WARNING,
            message=_(
                "Image %(position)d is a GIF: it goes out as a still picture. "
                "Attach a video for moving pictures."
            )
            % {"position": position},
            position=position,
        )
        for position, item in enumerate(media, start=1)
        if item.kind == "image" and item.mime_type == "image/gif"
    ]


def find_missing_captions(
    media: Sequence[MediaLike], *, captioned: Iterable[int]
) -> list[Finding]:
    """Warn about videos without captions (`captioned`: positions in `media`,
    counted from 1, of the videos that have a captions file)."""
    captioned = set(captioned)
    return [
        Finding(
            code="captions_missing",
            severity=WARNING,
            message=_(
                "Video %(position)d has no captions: whoever cannot hear it "
                "misses what is said."
            )
            % {"position": position},
            position=position,
        )
        for position, item in enumerate(media, start=1)
        if item.kind == "video" and position not in captioned
    ]


def find_media_problems(
    media: Sequence[MediaLike],
    rules: MediaRules,
    *,
    network: str,
    channel_id: int | None = None,
    geometry: Geometry | None = None,
) -> list[Finding]:
    """Return what `network` would refuse of these attachments.

    Images are converted and shrunk for each network (publishing.media), so
    only an image nothing can read is refused; video goes out as it is. With
    `geometry`, a picture that will get bars to fit the network's aspect
    ratios is a warning.
    """
    findings: list[Finding] = []

    def refuse(code: str, message: str, position: int | None = None) -> None:
        findings.append(
            Finding(
                code=code,
                severity=BLOCKER,
                message=message,
                channel_id=channel_id,
                overridable=False,
                position=position,
            )
        )

    images = [item for item in media if item.kind == "image"]
    videos = [item for item in media if item.kind == "video"]
    values = {"network": network}
    if rules.requires_media and not images and not videos:
        refuse("media_required", _("%(network)s needs an image or a video.") % values)
    if len(images) > rules.max_images:
        refuse(
            "media_count",
            _("%(network)s accepts up to %(count)d images per post.")
            % {**values, "count": rules.max_images},
        )
    for position, item in enumerate(media, start=1):
        values = {"network": network, "position": position}
        if item.kind == "image":
            if geometry is not None and gets_bars(item, geometry):
                findings.append(
                    Finding(
                        code="image_bars",
                        severity=WARNING,
                        message=_(
                            "%(network)s shows image %(position)d with white bars: "
                            "it is too wide or too tall for this network."
                        )
                        % values,
                        channel_id=channel_id,
                        position=position,
                    )
                )
            if item.mime_type not in READABLE_IMAGES:
                refuse(
                    "media_type",
                    _("Image %(position)d cannot be read (%(type)s): use JPEG or PNG.")
                    % {"position": position, "type": item.mime_type},
                    position,
                )
            limit = rules.alt_text_length
            if limit and len(item.alt_text or "") > limit:
                refuse(
                    "alt_text_too_long",
                    _(
                        "Image %(position)d: %(network)s accepts alt text up to "
                        "%(limit)d characters."
                    )
                    % {**values, "limit": limit},
                    position,
                )
        elif item.kind == "video":
            if not rules.video_types:
                refuse(
                    "video_unsupported",
                    _("Video %(position)d: %(network)s accepts no video from us.")
                    % values,
                    position,
                )
            elif item.mime_type not in rules.video_types:
                refuse(
                    "media_type",
                    _(
                        "Video %(position)d: %(network)s accepts video only as "
                        "%(types)s."
                    )
                    % {**values, "types": type_names(rules.video_types)},
                    position,
                )
            elif rules.max_video_bytes and item.size > rules.max_video_bytes:
                refuse(
                    "media_size",
                    _("Video %(position)d: %(network)s accepts videos up to %(limit)s.")
                    % {**values, "limit": human_size(rules.max_video_bytes)},
                    position,
                )
    return findings


def gets_bars(item: Any, geometry: Geometry) -> bool:
    width, height = getattr(item, "width", None), getattr(item, "height", None)
    if not width or not height:
        return False
    ratio = width / height
    too_tall = geometry.min_ratio is not None and ratio < geometry.min_ratio
    too_wide = geometry.max_ratio is not None and ratio > geometry.max_ratio
    return too_tall or too_wide


def type_names(mime_types: Iterable[str]) -> str:
    """("video/mp4", "video/quicktime") -> "MP4, QUICKTIME"."""
    return ", ".join(mime.split("/")[-1].upper() for mime in mime_types)


# --- links -----------------------------------------------------------------


def find_dead_links(results: Iterable[LinkResult]) -> list[Finding]:
    """Turn link-check results (publishing.links) into warnings."""
    findings = []
    skipped = []
    for result in results:
        if result.ok:
            continue
        if result.skipped:
            skipped.append(result.url)
            continue
        findings.append(
            Finding(
                code="link_dead",
                severity=WARNING,
                message=_("The link %(url)s does not work: %(reason)s")
                % {"url": result.url, "reason": result.reason},
                excerpt=result.url,
            )
        )
    if skipped:
        findings.append(
            Finding(
                code="link_unchecked",
                severity=WARNING,
                message=_("Links were not checked: %(reason)s")
                % {"reason": _("no connection to the internet.")},
                excerpt=", ".join(skipped),
            )
        )
    return findings


# --- a whole post ----------------------------------------------------------


def check_post(post: Any, *, links: bool = True) -> list[Finding]:
    """Run every check over a post: its master text, each variant with its
    channel's rules, its media and (when `links`) its links.

    A personal-data or watch-list finding of a variant that the master text
    already has is reported once, for the master text (channel_id None).
    """
    from leitstelle.publishing.models import PublishingSettings

    watch_words = PublishingSettings.current().watch_words or []
    attachments = [item for item in post.media.all() if item.kind != "captions"]
    attachments.sort(key=lambda item: item.position)
    findings = find_text_problems(post.master_text, watch_words)
    seen = {(finding.code, finding.excerpt) for finding in findings}
    findings += find_missing_alt_text(attachments)
    findings += find_gifs(attachments)
    for item in attachments:
        for finding in find_text_problems(item.alt_text or "", watch_words):
            if (finding.code, finding.excerpt) not in seen:
                seen.add((finding.code, finding.excerpt))
                findings.append(finding)
    captions = list(post.media.filter(kind="captions"))
    findings += find_caption_problems(captions)
    findings += find_missing_captions(
        attachments, captioned=captioned_positions(attachments, captions)
    )
    texts = [post.master_text]
    variants = post.variants.select_related("channel").order_by("channel__name")
    for variant in variants:
        channel = variant.channel
        connector = channel.connector
        network = str(channel)
        for text in variant.texts:
            texts.append(text)
            for finding in find_text_problems(text, watch_words):
                if (finding.code, finding.excerpt) not in seen:
                    seen.add((finding.code, finding.excerpt))
                    findings.append(replace(finding, channel_id=channel.pk))
        if len(variant.texts) > 1 and not connector.capabilities.threads:
            findings.append(
                Finding(
                    code="thread_unsupported",
                    severity=BLOCKER,
                    message=_("%(network)s cannot post a thread: join the parts.")
                    % {"network": network},
                    channel_id=channel.pk,
                    overridable=False,
                )
            )
        thread = len(variant.texts) > 1
        for position, text in enumerate(variant.texts):
            findings += find_over_length(
                text,
                connector.text_rules,
                network=network,
                channel_id=channel.pk,
                with_media=bool(attachments) and position == 0,
                capabilities=connector.capabilities,
                part=position + 1 if thread else None,
            )
        findings += find_media_problems(
            attachments,
            connector.media_rules,
            network=network,
            channel_id=channel.pk,
            geometry=geometry_for(connector.label),
        )
    if links:
        from leitstelle.publishing.links import check_links_cached, find_links

        urls = [url for text in texts for url in find_links(text)]
        findings += find_dead_links(check_links_cached(urls))
    return dedupe(findings)


def captioned_positions(attachments: list[Any], captions: list[Any]) -> set[int]:
    """Positions (from 1) of the videos a captions file belongs to; a file
    that names no video belongs to the only video, if there is one."""
    videos = {
        item.pk: position
        for position, item in enumerate(attachments, start=1)
        if item.kind == "video"
    }
    positions = {
        videos[c.captions_for_id] for c in captions if c.captions_for_id in videos
    }
    if len(videos) == 1 and any(c.captions_for_id is None for c in captions):
        positions |= set(videos.values())
    return positions


def find_text_problems(text: str, watch_words: Iterable[str]) -> list[Finding]:
    return find_personal_data(text) + find_watch_words(text, watch_words)


def find_caption_problems(captions: Iterable[Any]) -> list[Finding]:
    findings = []
    for item in captions:
        try:
            with item.file.open("rb") as handle:
                parse_captions(handle.read())
        except MediaError as exc:
            message = exc.message
        except OSError:
            message = _("The captions file is missing.")
        else:
            continue
        findings.append(
            Finding(
                code="captions_invalid",
                severity=BLOCKER,
                message=message,
                excerpt=item.original_name,
                overridable=False,
            )
        )
    return findings


# Findings that no approver may override: the network would refuse the post,
# or the law demands the fix (alt text).
NOT_OVERRIDABLE = frozenset(
    {
        "over_length",
        "alt_text_missing",
        "alt_text_too_long",
        "media_required",
        "media_count",
        "media_type",
        "media_size",
        "video_unsupported",
        "captions_invalid",
        "thread_unsupported",
    }
)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
