"""Realistic German comments for tests and benchmarks, reproducible by seed.

The text varies in vocabulary, length (3 to 600 characters), tone (questions,
praise, criticism, insults, tips), with typos and emoji, so that search and
indexes are measured on something like real traffic and not on one string.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_LENGTH = 3
MAX_LENGTH = 600

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Finn",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Karla",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Samir",
    "Tanja",
    "Uwe",
    "Vera",
    "Wolfgang",
    "Yusuf",
    "Zoe",
    "Jürgen",
    "Björn",
    "Özlem",
    "Sören",
    "Käthe",
    "Ömer",
    "Dragan",
    "Leyla",
    "Friedrich",
    "Marlene",
    "Henrik",
    "Aylin",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Yılmaz",  # noqa: RUF001 - a Turkish name
    "Kaya",
    "Nowak",
    "Kowalski",
    "Popović",
    "Öztürk",
]
PLACES = [
    "Dresden",
    "Leipzig",
    "Chemnitz",
    "Zwickau",
    "Plauen",
    "Görlitz",
    "Bautzen",
    "Pirna",
    "Freital",
    "Meißen",
    "Riesa",
    "Torgau",
    "Döbeln",
    "Grimma",
    "Borna",
    "Annaberg",
    "Freiberg",
    "Hoyerswerda",
    "Kamenz",
    "Radebeul",
]
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Schillerstraße",
    "Goethestraße",
    "Lindenallee",
    "Königsbrücker",
    "Straße",
    "Prager",
    "Straße",
    "Marktplatz",
    "Albertplatz",
    "Neustädter",
    "Markt",
]
EVENTS = [
    "Unfall",
    "Unfälle",
    "Unfalls",
    "Verkehrsunfall",
    "Einbruch",
    "Einbrüche",
    "Diebstahl",
    "Fahrraddiebstahl",
    "Brand",
    "Bränden",
    "Vermisste",
    "Vermisstenfall",
    "Kontrolle",
    "Kontrollen",
    "Blitzer",
    "Demonstration",
    "Demo",
    "Versammlung",
    "Stau",
    "Sperrung",
    "Polizeieinsatz",
    "Einsatz",
    "Einsätze",
    "Festnahme",
    "Betrug",
    "Enkeltrick",
    "Schockanruf",
    "Sachbeschädigung",
    "Graffiti",
    "Raub",
    "Körperverletzung",
    "Ruhestörung",
    "Falschparker",
]
EMOJI = [
    "👍",
    "👮",
    "🚓",
    "🙏",
    "😡",
    "😂",
    "❤️",
    "🤔",
    "👏",
    "😢",
    "🔥",
    "🤬",
    "😱",
    "✅",
    "🚨",
]

QUESTIONS = (
    "Weiß man schon, was in {place} an der {street} passiert ist?",
    "Ist die {street} noch gesperrt?",
    "Gibt es schon neue Infos zum {event}?",
    "Wann wird die Sperrung in {place} aufgehoben?",
    "Wie kann ich einen {event} melden, ohne die 110 zu wählen?",
    "Wurde der Täter schon gefasst?",
    "Warum stand heute so viel Polizei in {place}?",
    "Kann man die Anzeige auch online machen?",
    "Hat jemand den {event} an der {street} gesehen?",
    "Darf ich da jetzt wieder durchfahren oder nicht?",
)
PRAISE = (
    "Danke für eure Arbeit!",
    "Super Einsatz heute in {place}, vielen Dank!",
    "Respekt an die Kolleginnen und Kollegen vor Ort.",
    "Toll, dass ihr so schnell informiert.",
    "Endlich mal klare Infos, danke!",
    "Die Beamten an der {street} waren sehr freundlich.",
    "Bleibt gesund und kommt heil nach Hause.",
)
CRITICISM = (
    "Wieder mal viel zu spät informiert.",
    "Warum wird in {place} nie kontrolliert, aber hier ständig?",
    "Der {event} an der {street} war absehbar, da passiert seit Jahren nichts.",
    "Ich habe dreimal angerufen und niemand kam.",
    "Blitzer aufstellen könnt ihr, aber beim {event} seid ihr nicht da.",
    "Die Pressemitteilung widerspricht dem, was ich gesehen habe.",
    "Das ist doch reine Abzocke.",
)
INSULTS = (
    "Ihr seid doch alle unfähig.",
    "Was für ein Sauhaufen.",
    "Bullen raus aus {place}!",
    "Typisch, labern statt handeln, ihr Clowns.",
    "Schämt euch!!!",
)
TIPS = (
    "Hinweis: An der {street} in {place} steht seit gestern ein verdächtiges Auto.",
    "Ich habe um 22 Uhr zwei Personen an der {street} gesehen, die weggerannt sind.",
    "Das Fahrrad aus dem {event} steht jetzt am Bahnhof {place}.",
    "Mein Nachbar hat eine Kamera, die zeigt die {street}, soll ich mich melden?",
    "Die vermisste Person wurde eben in {place} gesehen, Richtung {street}.",
)
FILLERS = (
    "Ehrlich gesagt",
    "Also",
    "Mal ehrlich:",
    "Kurze Frage:",
    "Naja.",
    "Ich wohne selbst in {place}.",
    "Meine Mutter wohnt an der {street}.",
    "Seit Jahren dasselbe.",
    "Das sieht man ja jeden Tag.",
    "Bitte teilen!",
    "Unglaublich.",
    "Hoffentlich ist niemand verletzt.",
    "Gute Besserung an alle Beteiligten.",
    "Die Unfälle an der Kreuzung häufen sich.",
    "Nach dem Unfall gestern war alles voller Scherben.",
    "Zeugen des Unfalls sollen sich melden.",
)
TONES = (
    (QUESTIONS, 30),
    (PRAISE, 20),
    (CRITICISM, 20),
    (TIPS, 10),
    (INSULTS, 5),
    (FILLERS, 15),
)
LANGUAGES = (("de", 90), ("en", 5), ("tr", 3), ("pl", 2))
ENGLISH = (
    "Is the road still closed?",
    "Thanks for the update!",
    "What happened in {place}?",
)


@dataclass(frozen=True)
class FakeAuthor:
    remote_id: str
    handle: str
    name: str


@dataclass(frozen=True)
class FakeComment:
    """One comment; `parent_id` is empty for a top-level comment."""

    remote_id: str
    author: FakeAuthor
    text: str
    language: str
    thread_key: str
    root_post_id: str
    parent_id: str
    created_at: datetime


def make_authors(rng: random.Random, count: int) -> list[FakeAuthor]:
    """Return `count` distinct authors with German names and handles."""
    authors = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        handle = f"{first}{last[: rng.randint(1, len(last))]}{n}".lower()
        authors.append(
            FakeAuthor(remote_id=f"a{n}", handle=handle, name=f"{first} {last}")
        )
    return authors


def typo(rng: random.Random, text: str) -> str:
    """Swap two neighbouring letters, as fast thumbs do."""
    if len(text) < 4:
        return text
    at = rng.randrange(1, len(text) - 2)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def sentence(rng: random.Random) -> str:
    """Return one sentence of a randomly chosen tone, placeholders filled."""
    pool = rng.choices([tone for tone, _ in TONES], [w for _, w in TONES])[0]
    return rng.choice(pool).format(
        place=rng.choice(PLACES),
        street=rng.choice(STREETS),
        event=rng.choice(EVENTS),
    )


def comment_text(rng: random.Random, language: str = "de") -> str:
    """Return a comment of 3 to 600 characters."""
    roll = rng.random()
    if roll < 0.05:
        return pad(rng.choice(EMOJI) * rng.randint(1, 3) + rng.choice(("", "!", "??")))
    if language != "de":
        return rng.choice(ENGLISH).format(place=rng.choice(PLACES))
    count = (
        1 if roll < 0.55 else rng.randint(2, 4) if roll < 0.9 else rng.randint(8, 16)
    )
    parts = [sentence(rng) for _ in range(count)]
    if rng.random() < 0.25:
        parts.append(rng.choice(EMOJI))
    if rng.random() < 0.1:
        parts = [part.lower() for part in parts]
    text = " ".join(parts)
    if rng.random() < 0.2:
        text = typo(rng, text)
    if rng.random() < 0.05:
        text = text.replace(" ", "\n\n", 1)
    return pad(text[:MAX_LENGTH].strip())


def pick_author(rng: random.Random, people: list[FakeAuthor]) -> FakeAuthor:
    """Return an author; a few regulars write much more than the rest."""
    if rng.random() < 0.3:
        return people[rng.randrange(max(len(people) // 50, 1))]
    return rng.choice(people)


def pad(text: str) -> str:
    return text if len(text) >= MIN_LENGTH else (text + "!!!")[:MIN_LENGTH]


def generate(
    count: int,
    *,
    seed: int = 1,
    authors: int = 2000,
    posts: int = 200,
    start: datetime,
    span: timedelta = timedelta(days=365),
) -> Iterator[FakeComment]:
    """Yield `count` comments on `posts` posts over `span`, oldest first.

    About a third answer an earlier comment of the same thread.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible, not secret
    people = make_authors(rng, authors)
    step = span / max(count, 1)
    recent: dict[str, list[str]] = {}
    for n in range(count):
        post = f"p{rng.randrange(posts)}"
        earlier = recent.setdefault(post, [])
        parent = rng.choice(earlier) if earlier and rng.random() < 0.33 else ""
        language = rng.choices([c for c, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
        remote_id = f"c{seed}-{n}"
        yield FakeComment(
            remote_id=remote_id,
            author=pick_author(rng, people),
            text=comment_text(rng, language),
            language=language,
            thread_key=post,
            root_post_id=post,
            parent_id=parent,
            created_at=start + step * n + timedelta(seconds=rng.randrange(60)),
        )
        earlier.append(remote_id)
        del earlier[:-20]
