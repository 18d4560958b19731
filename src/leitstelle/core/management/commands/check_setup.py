"""`leitstelle check`: deployment checks, each explained on one line."""

from __future__ import annotations

from django.core import checks
from django.core.management.base import BaseCommand

from leitstelle.core.bootstrap import ensure_database
from leitstelle.core.checks import DUPLICATES, explain


class Command(BaseCommand):
    help = "Run Django's deployment checks and Leitstelle's, one line each."
    requires_system_checks: list[str] = []

    def handle(self, *args, **options) -> None:
        ensure_database()
        findings = [
            message
            for message in checks.run_checks(
                include_deployment_checks=True, databases=["default"]
            )
            if not message.is_silenced() and message.id not in DUPLICATES
        ]
        findings.sort(key=lambda message: (-message.level, message.id or ""))
        for message in findings:
            self.stdout.write(explain(message))
        if not findings:
            self.stdout.write("No problems found.")
        if any(message.is_serious() for message in findings):
            raise SystemExit(1)
