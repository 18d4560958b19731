"""`leitstelle audit verify`: check the audit log's hash chain."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from leitstelle.core.audit import verify_chain
from leitstelle.core.bootstrap import ensure_database


class Command(BaseCommand):
    help = "Work with the audit log."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("verify", help="Check every entry's hash and link.")

    def handle(self, *args, action: str, **options) -> None:
        ensure_database()
        report = verify_chain()
        if report.ok:
            noun = "entry" if report.checked == 1 else "entries"
            self.stdout.write(f"Audit log intact: {report.checked} {noun} checked.")
            return
        self.stderr.write(
            f"Audit log broken at entry {report.broken_sequence}: {report.reason}."
        )
        raise SystemExit(1)
