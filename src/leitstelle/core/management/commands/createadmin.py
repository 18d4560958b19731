"""`leitstelle createadmin`: an administrator with a generated password."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leitstelle.core.bootstrap import create_admin, ensure_database


class Command(BaseCommand):
    help = "Create an administrator and print the generated password once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, email: str, **options) -> None:
        ensure_database()
        try:
            admin = create_admin(username=username, email=email, reason="createadmin")
        except ValidationError as exc:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}"
                for field, messages in exc.message_dict.items()
            )
            raise CommandError(f"No administrator created ({problems}).") from None
        self.stdout.write(f"Administrator {admin.user.username!r} created.")
        self.stdout.write(f"Password (shown only now): {admin.password}")
        self.stdout.write("They set up the second factor at first login.")
