"""`leitstelle demo`: a demo organisation with a living inbox, at once.

Safe to run again: everything it creates is looked up first, posts and
scenario comments carry idempotency keys.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leitstelle.core.audit import record_event
from leitstelle.core.models import Unit
from leitstelle.inbox.models import SavedReply
from leitstelle.inbox.saved_replies import add_saved_reply
from leitstelle.networks import services as channels
from leitstelle.networks.base import OutgoingPost
from leitstelle.networks.exercise import scenario
from leitstelle.networks.exercise import services as exercise
from leitstelle.networks.exercise.management.commands.exercise import run_replay
from leitstelle.networks.exercise.models import ExerciseAccount
from leitstelle.networks.models import Channel

SOURCE = "demo"
UNITS = ("Dresden", "Leipzig")
HANDLE = "polizei_sachsen_uebung"
NAME = "Polizei Sachsen (Übung)"
BIO = (
    "Übungskonto der Polizei Sachsen. Notruf 110. "
    "Hier wird nicht rund um die Uhr mitgelesen."
)
FOLLOWERS = 12480
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "demo.jsonl"
# Oldest first: the scenario's "post" is the last one, "post:3" the first.
POSTS = (
    (
        "demo-karriere",
        "Du willst Verantwortung übernehmen und keinen Tag wie den anderen "
        "erleben? Bewirb dich jetzt für ein Studium im Polizeivollzugsdienst! "
        "Bewerbungsschluss ist der 30. September.\n\n"
        "Alle Infos: https://karriere.polizei.example/studium #WirSindPolizei",
    ),
    (
        "demo-enkeltrick",
        "Achtung, Enkeltrick! Derzeit rufen Betrüger vermehrt ältere Menschen in "
        "Dresden an und geben sich als Enkel oder Polizeibeamte aus.\n\n"
        "Die Polizei fragt niemals am Telefon nach Geld oder Wertsachen. Legen "
        "Sie auf und rufen Sie Ihre Angehörigen unter der bekannten Nummer "
        "zurück. Sprechen Sie mit Ihren Eltern und Großeltern darüber!",
    ),
    (
        "demo-unfallflucht",
        "Zeugenaufruf nach Verkehrsunfallflucht in Leipzig-Connewitz: Am "
        "Dienstagabend gegen 18:45 Uhr wurde an der Kreuzung Bornaische "
        "Straße/Wolfgang-Heinze-Straße eine 34-jährige Radfahrerin von einem "
        "dunklen Kombi erfasst und leicht verletzt. Der Fahrer (etwa 50 Jahre, "
        "graue Haare, dunkle Jacke) stieg kurz aus und fuhr dann davon.\n\n"
        "Hinweise bitte an die Polizeidirektion Leipzig.",
    ),
)
# Textbausteine for the inbox: (title, language, text).
SAVED_REPLIES = (
    (
        "Dank",
        "de",
        "Vielen Dank für Ihre Nachricht, {name}! Wir geben das gern an die "
        "Kolleginnen und Kollegen weiter.",
    ),
    (
        "Dank",
        "en",
        "Thank you for your message, {name}! We will pass it on to our colleagues.",
    ),
    (
        "Notruf",
        "de",
        "Hallo {name}, in einem Notfall wählen Sie bitte immer sofort die 110. "
        "Dieses Konto wird nicht rund um die Uhr gelesen.",
    ),
    (
        "Notruf",
        "en",
        "Hello {name}, in an emergency please always call 110 at once. This "
        "account is not read around the clock.",
    ),
    (
        "Hinweis",
        "de",
        "Danke für Ihren Hinweis, {name}! Bitte schreiben Sie uns keine "
        "Einzelheiten hier öffentlich, sondern melden Sie sich über die "
        "Onlinewache oder bei jeder Polizeidienststelle.",
    ),
)


class Command(BaseCommand):
    help = "Create demo units, an exercise channel, posts and a short scenario."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--speed",
            type=float,
            default=0.0,
            help="0 (default) posts every comment at once; 10 plays the "
            "scenario ten times faster than real time",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["speed"] < 0:
            raise CommandError("--speed must be 0 or more.")
        for name in UNITS:
            self.note(f"Unit {name}", created=self.unit(name))
        account, created = self.account()
        self.note(f"Exercise account @{account.handle}", created=created)
        channel, created = self.channel(account)
        self.note(f"Channel “{channel.name}” (id {channel.pk})", created=created)
        for key, text in POSTS:
            channel.connector.publish(OutgoingPost(text=text, idempotency_key=key))
        self.stdout.write(f"{len(POSTS)} posts on @{account.handle}.")
        added = self.saved_replies()
        self.stdout.write(f"{added} saved replies added.")
        events = scenario.read_scenario(SCENARIO)
        outcome = run_replay(
            events,
            account=account,
            speed=options["speed"],
            out=self.stdout,
            key_prefix=SOURCE,
            source=SOURCE,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Scenario: {outcome.played} comments posted, "
                f"{outcome.existing} were there already."
            )
        )
        self.stdout.write(
            f"Look at {settings.BASE_URL}{account.get_absolute_url()} (log in first)."
        )

    def note(self, what: str, *, created: bool) -> None:
        self.stdout.write(f"{what}: {'created' if created else 'exists already'}")

    def unit(self, name: str) -> bool:
        if Unit.objects.filter(name__iexact=name).exists():
            return False
        unit = Unit.objects.create(name=name)
        record_event(
            action="unit.created",
            target=unit,
            actor_label=f"leitstelle {SOURCE}",
            details={"name": name},
        )
        return True

    def saved_replies(self) -> int:
        added = 0
        for title, language, text in SAVED_REPLIES:
            if SavedReply.objects.filter(title=title, language=language).exists():
                continue
            add_saved_reply(
                title=title,
                language=language,
                text=text,
                actor=None,
                actor_label=f"leitstelle {SOURCE}",
            )
            added += 1
        return added

    def account(self) -> tuple[ExerciseAccount, bool]:
        existing = ExerciseAccount.objects.filter(handle=HANDLE).first()
        if existing is not None:
            return existing, False
        created = exercise.create_account(
            handle=HANDLE,
            display_name=NAME,
            bio=BIO,
            is_organisation=True,
            followers=FOLLOWERS,
        )
        return created, True

    def channel(self, account: ExerciseAccount) -> tuple[Channel, bool]:
        existing = Channel.objects.filter(kind="exercise", remote_id=str(account.pk))
        if existing.exists():
            return existing.get(), False
        config = {"handle": account.handle}
        credentials = {"access_token": exercise.issue_token(account=account)}
        unsaved = Channel(kind="exercise", config=config)
        unsaved.set_credentials(credentials)
        verified = channels.verify_account(channel=unsaved)
        channel = channels.connect_channel(
            actor=None,  # type: ignore[arg-type]  # the demo, not a person
            kind="exercise",
            name=NAME,
            config=config,
            credentials=credentials,
            account=verified,
        )
        return channel, True
