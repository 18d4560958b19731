"""The German catalog: complete, compiled, and in step with the source texts.

The UI speaks German by default, so an English source text without a German
translation is a visible bug. These tests read the committed catalog
(src/leitstelle/locale/de/LC_MESSAGES/django.po) with a small parser of their
own, compare it with the committed django.mo, and extract the texts afresh with
`makemessages` to catch a new text nobody has translated yet.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

SHOWN = 10
"""How many untranslated texts a failure lists."""

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|</?[a-z]+[^>]*>")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


@dataclass
class Entry:
    """One message of a .po file."""

    line: int
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_translated(self) -> bool:
        expected = 2 if self.msgid_plural else 1
        forms = [self.msgstr.get(index, "") for index in range(expected)]
        return all(form.strip() for form in forms)

    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def unquote(literal: str) -> str:
    """Turn one quoted .po string into its text."""
    return re.sub(
        r"\\(.)", lambda match: ESCAPES.get(match[1], match[1]), literal[1:-1]
    )


def parse_po(text: str) -> list[Entry]:
    """Return the live entries of a .po file (obsolete `#~` ones are left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if current is not None:
                entries.append(current)
            current, target, flags = None, None, set()
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"line {number}: a string continues nothing")
            append(current, target, unquote(line))
            continue
        match = KEYWORD.match(line)
        if match is None:
            raise ValueError(f"line {number}: cannot read {line!r}")
        keyword, index, literal = match.groups()
        if keyword in ("msgctxt", "msgid") and (current is None or current.msgstr):
            if current is not None:
                entries.append(current)
            current, flags = Entry(line=number, flags=flags), set()
        if current is None:
            raise ValueError(f"line {number}: {keyword} before msgid")
        target = (keyword, int(index or 0))
        if keyword == "msgctxt":
            current.msgctxt = ""
        append(current, target, unquote(literal))
    if current is not None:
        entries.append(current)
    return entries


def append(entry: Entry, target: tuple[str, int], text: str) -> None:
    keyword, index = target
    if keyword == "msgstr":
        entry.msgstr[index] = entry.msgstr.get(index, "") + text
    else:
        setattr(entry, keyword, (getattr(entry, keyword) or "") + text)


def problems(entries: list[Entry]) -> list[str]:
    """List the entries that are untranslated or fuzzy, header included."""
    found = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            found.append(f"{entry.label()} is marked fuzzy")
        elif not entry.is_header and not entry.is_translated:
            found.append(f"{entry.label()} has no translation")
    return found


def report(found: list[str], where: str) -> str:
    shown = "\n  ".join(found[:SHOWN])
    more = f"\n  … and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return (
        f"{len(found)} German text(s) missing or unchecked in {where}; run "
        "`make messages`, translate, remove the fuzzy flag and compile:"
        f"\n  {shown}{more}"
    )


def catalog_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0]) / "de" / "LC_MESSAGES"


def committed() -> list[Entry]:
    return parse_po((catalog_dir() / "django.po").read_text(encoding="utf-8"))


SAMPLE = r"""
#, fuzzy
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

msgid "Log in"
msgstr "Anmelden"

#: templates/x.html:3
msgid ""
"A long text "
"on two lines"
msgstr ""

#, fuzzy, python-format
msgid "Hello %(name)s"
msgstr "Hallo %(name)s"

msgctxt "menu"
msgid "Open"
msgstr "Öffnen \"jetzt\""

#, fuzzy
#~ msgid "Gone"
#~ msgstr "Weg"

msgid "%(count)s post"
msgid_plural "%(count)s posts"
msgstr[0] "%(count)s Beitrag"
msgstr[1] ""
"""


def test_it_reads_entries_flags_contexts_and_plurals():
    entries = parse_po(SAMPLE)
    assert [entry.msgid for entry in entries] == [
        "",
        "Log in",
        "A long text on two lines",
        "Hello %(name)s",
        "Open",
        "%(count)s post",
    ], "the obsolete entry must be left out and continued strings joined"
    assert entries[4].msgctxt == "menu"
    assert entries[4].msgstr == {0: 'Öffnen "jetzt"'}
    assert entries[5].msgid_plural == "%(count)s posts"
    assert entries[3].flags == {"fuzzy", "python-format"}
    assert entries[1].flags == set(), "flags must not leak into the next entry"
    assert entries[5].flags == set(), "an obsolete entry's flags must not leak"


def test_it_finds_untranslated_and_fuzzy_entries():
    found = problems(parse_po(SAMPLE))
    assert found == [
        "line 3: '' is marked fuzzy",
        "line 11: 'A long text on two lines' has no translation",
        "line 17: 'Hello %(name)s' is marked fuzzy",
        "line 28: '%(count)s post' has no translation",
    ]


def test_every_text_has_a_german_translation():
    entries = committed()
    assert len(entries) > 100, f"the catalog in {catalog_dir()} looks empty"
    found = problems(entries)
    assert not found, report(found, str(catalog_dir() / "django.po"))


def test_translations_keep_placeholders_and_markup():
    broken = []
    for entry in committed():
        pairs = [(entry.msgid, entry.msgstr.get(0, ""))]
        if entry.msgid_plural:
            pairs.append((entry.msgid_plural, entry.msgstr.get(1, "")))
        for source, german in pairs:
            if german and sorted(PLACEHOLDER.findall(source)) != sorted(
                PLACEHOLDER.findall(german)
            ):
                broken.append(f"{entry.label()} → {german!r}")
    assert not broken, "placeholders or markup differ:\n  " + "\n  ".join(broken)


def test_the_compiled_catalog_matches_the_po_file():
    mo = catalog_dir() / "django.mo"
    assert mo.exists(), f"{mo} is missing; run `make messages`"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in committed():
        if entry.is_header:
            continue
        context = entry.msgctxt
        if entry.msgid_plural:
            for count, index in ((1, 0), (2, 1)):
                if context is None:
                    got = compiled.ngettext(entry.msgid, entry.msgid_plural, count)
                else:
                    got = compiled.npgettext(
                        context, entry.msgid, entry.msgid_plural, count
                    )
                if got != entry.msgstr.get(index):
                    stale.append(f"{entry.label()} [{index}] compiled as {got!r}")
        else:
            if context is None:
                got = compiled.gettext(entry.msgid)
            else:
                got = compiled.pgettext(context, entry.msgid)
            if got != entry.msgstr.get(0):
                stale.append(f"{entry.label()} compiled as {got!r}")
    assert not stale, (
        f"{mo} is older than django.po; run `make messages`:\n  "
        + "\n  ".join(stale[:SHOWN])
    )


def test_no_source_text_lacks_a_translation(tmp_path):
    """Extract the texts afresh, as `make messages` would, into a copy."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("xgettext/msgmerge not found: install gettext (make test does)")
    source = Path(settings.BASE_DIR)
    copy = tmp_path / "leitstelle"
    shutil.copytree(
        source,
        copy,
        ignore=shutil.ignore_patterns(
            "var", "static", "__pycache__", "*.mo", "*.sqlite3*"
        ),
    )
    (tmp_path / "locale_settings.py").write_text(
        "from leitstelle.settings import *  # noqa: F403\nLOCALE_PATHS = []\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "locale_settings",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])
        ),
        "LEITSTELLE_DATA_DIR": str(tmp_path / "data"),
    }
    command = [sys.executable, "-m", "django", "makemessages", "-l", "de"]
    command += ["--ignore", "static/*", "--ignore", "*/migrations/*"]
    result = subprocess.run(
        command,
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"makemessages failed:\n{result.stdout}{result.stderr}"
    )
    fresh = parse_po(
        (copy / "locale/de/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    )
    assert "Overview" in {entry.msgid for entry in fresh}, (
        "makemessages extracted nothing"
    )
    found = problems(fresh)
    where = f"{catalog_dir() / 'django.po'} (lines of a fresh extraction)"
    assert not found, report(found, where)
