"""Split a text that is too long for one post into a thread.

`split_into_thread(text, rules)` breaks at paragraph, then sentence, then
word boundaries (a single word longer than a post is cut between graphemes,
never inside a URL when it can be helped), and ends every part with a
counter "(1/3)". Every part, counter included, fits the network's counting
rules (lib.text). A text that fits is returned unchanged, as one part.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from leitstelle.lib import text as counting
from leitstelle.networks.base import TextRules

# A sentence ends with . ! ? or … (maybe closed by a quote or bracket) before
# whitespace and a capital, a digit or an opening quote.
SENTENCE_END = regex.compile(r"(?<=[.!?…][\"'“”«»)\]]?)\s+(?=[\p{Lu}\d\"„“«(\[])")
# German abbreviations that end with a dot but not a sentence.
ABBREVIATIONS = frozenset(
    [
        "z.B.",
        "u.a.",
        "d.h.",
        "bzw.",
        "ca.",
        "Nr.",
        "Str.",
        "geb.",
        "Dr.",
        "Prof.",
        "Hr.",
        "Fr.",
        "St.",
        "inkl.",
        "vgl.",
        "evtl.",
        "ggf.",
        "sog.",
        "Abs.",
        "Art.",
        "Az.",
        "Tel.",
        "Mio.",
        "Mrd.",
        "usw.",
        "etc.",
        "bspw.",
        "Std.",
        "Min.",
        "Jan.",
        "Feb.",
        "Mär.",
        "Apr.",
        "Jun.",
        "Jul.",
        "Aug.",
        "Sep.",
        "Sept.",
        "Okt.",
        "Nov.",
        "Dez.",
    ]
)
PARAGRAPH = regex.compile(r"\n\s*\n")
GRAPHEME = regex.compile(r"\X")


class SplitError(ValueError):
    """The text cannot be split so that every part fits (limit too small)."""


def split_into_thread(
    text: str, rules: TextRules, *, with_media: bool = False
) -> list[str]:
    """Return the parts of a thread, each fitting `rules`, numbered "(i/n)".

    `with_media`: the first part carries the media, so it keeps to the
    caption limit where the network has one.
    """
    text = text.strip()
    if counting.fits(text, rules, with_media=with_media):
        return [text]
    units = pieces(text)
    for width in range(1, 5):  # the counter's width: "(1/9)", "(01/12)" is wrong
        total = 10**width - 1
        parts = pack(units, rules, total=total, with_media=with_media)
        if len(str(len(parts))) <= width:
            count = len(parts)
            return [f"{part} ({i}/{count})" for i, part in enumerate(parts, start=1)]
    raise SplitError("more than 9999 parts")


def pieces(text: str) -> list[str]:
    """Return paragraphs and sentences, each with the separator before it."""
    units: list[str] = []
    for paragraph in PARAGRAPH.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        for index, sentence in enumerate(sentences(paragraph)):
            separator = "" if not units else ("\n\n" if index == 0 else " ")
            units.append(separator + sentence)
    return units


def sentences(paragraph: str) -> list[str]:
    result: list[str] = []
    position = 0
    for match in SENTENCE_END.finditer(paragraph):
        candidate = paragraph[position : match.start()]
        last_word = candidate.rsplit(maxsplit=1)[-1] if candidate.strip() else ""
        if last_word in ABBREVIATIONS or regex.fullmatch(r"\d{1,2}\.", last_word):
            continue  # "z.B. Anna", "am 3. Mai": not a sentence end
        result.append(candidate)
        position = match.end()
    result.append(paragraph[position:])
    return [sentence.strip() for sentence in result if sentence.strip()]


def pack(
    units: list[str], rules: TextRules, *, total: int, with_media: bool
) -> list[str]:
    """Fill parts greedily with units, splitting units that fit nowhere."""
    parts: list[str] = []
    current = ""

    def room(index: int) -> int:
        suffix = f" ({index}/{total})"
        first = index == 1 and with_media
        return counting.limit(rules, with_media=first) - counting.count(suffix, rules)

    def fits(candidate: str, index: int) -> bool:
        return counting.count(candidate, rules) <= room(index)

    queue = list(units)
    while queue:
        unit = queue.pop(0)
        index = len(parts) + 1
        candidate = current + unit if current else unit.lstrip()
        if fits(candidate, index):
            current = candidate
            continue
        if current:
            parts.append(current)
            queue.insert(0, unit.lstrip())
            current = ""
            continue
        # One unit alone is too long: break it at words, or inside a word.
        head, tail = cut(unit.lstrip(), lambda piece, i=index: fits(piece, i))
        parts.append(head)
        if tail:
            queue.insert(0, tail)
    if current:
        parts.append(current)
    return parts


def cut(unit: str, check: Callable[[str], bool]) -> tuple[str, str]:
    """Return the longest head of `unit` that fits, and the rest."""
    words = regex.split(r"(\s+)", unit)
    head = ""
    for index in range(0, len(words), 2):
        candidate = head + ("".join(words[index - 1 : index]) if head else "")
        candidate += words[index]
        if not check(candidate):
            break
        head = candidate
    else:
        return unit, ""
    if head:
        return head, unit[len(head) :].lstrip()
    # Not even the first word fits: cut between graphemes.
    clusters = GRAPHEME.findall(unit)
    low, high = 1, len(clusters)
    while low < high:  # the longest prefix that fits, by bisection
        middle = (low + high + 1) // 2
        if check("".join(clusters[:middle])):
            low = middle
        else:
            high = middle - 1
    if low == 1 and not check(clusters[0]):
        raise SplitError("a single character does not fit")
    return "".join(clusters[:low]), "".join(clusters[low:])
