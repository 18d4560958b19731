"""Full-text search over interactions: one interface, two backends.

PostgreSQL matches `websearch_to_tsquery('german', q)` against the
expression `to_tsvector('german', COALESCE(text, ''))`, which the GIN index
of migration 0002 covers; the german snowball stemmer folds inflections
("Unfälle", "Unfalls" → "unfall").

SQLite has no German stemmer in FTS5. Each term of five or more letters
loses one common German ending (-en, -er, -es, -e, -n, -s) and is matched
as a prefix, and the unicode61 tokenizer drops diacritics: "Unfälle" →
"unfall*", which finds "Unfall", "Unfälle" and "Unfalls". It over-matches
a little ("Unfallort"), which a search box can afford.
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CONFIG = "german"
MAX_TERMS = 10
MIN_STEM_LENGTH = 5
ENDINGS = ("en", "er", "es", "e", "n", "s")
TERM = re.compile(r"\w+")
FTS_MATCH = (
    "SELECT rowid FROM inbox_interaction_fts WHERE inbox_interaction_fts MATCH %s"
)


def text_vector() -> SearchVector:
    """Return the indexed expression; the index must match it exactly."""
    return SearchVector("text", config=CONFIG)


def search(queryset: QuerySet, q: str) -> QuerySet:
    """Return the interactions of `queryset` whose text matches `q`."""
    if not terms(q):
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        query = SearchQuery(
            q.replace("\x00", ""), config=CONFIG, search_type="websearch"
        )
        return queryset.annotate(search_text=text_vector()).filter(search_text=query)
    # The user's terms are a bound parameter, quoted by fts_expression().
    return queryset.filter(id__in=RawSQL(FTS_MATCH, [fts_expression(q)]))  # noqa: S611


def terms(q: str) -> list[str]:
    """Return the words of `q`, folded to lower case without diacritics."""
    return [fold(word) for word in TERM.findall(q)][:MAX_TERMS]


def stem(term: str) -> str:
    """Strip one common German ending from a long enough term."""
    if len(term) >= MIN_STEM_LENGTH:
        for ending in ENDINGS:
            if term.endswith(ending):
                return term[: -len(ending)]
    return term


def fts_expression(q: str) -> str:
    """Return an FTS5 query: every term a quoted string, prefix-matched."""
    quoted = ('"' + stem(term).replace('"', '""') + '"*' for term in terms(q))
    return " ".join(quoted)


def fold(text: str) -> str:
    """Lower-case `text` and drop diacritics, one character for each."""
    return "".join(
        unicodedata.normalize("NFD", char)[0].lower()[:1] or char for char in text
    )


def highlight(text: str, q: str) -> SafeString:
    """Return `text` escaped, with the words matching `q` wrapped in <mark>.

    Matches are found on the raw text and every piece is escaped on its own,
    so a mark never lands inside an HTML entity.
    """
    stems = sorted({stem(term) for term in terms(q)}, key=len, reverse=True)
    if not stems:
        return escape(text)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*")
    pieces, end = [], 0
    for match in pattern.finditer(fold(text)):
        pieces.append(escape(text[end : match.start()]))
        pieces.append(f"<mark>{escape(text[match.start() : match.end()])}</mark>")
        end = match.end()
    pieces.append(escape(text[end:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped
