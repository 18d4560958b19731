"""`leitstelle worker`: run the Huey consumer only, to scale out."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from leitstelle.core.bootstrap import ensure_database


class Command(BaseCommand):
    help = "Run background workers (the Huey consumer); Ctrl-C stops them."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "-w", "--workers", type=int, default=2, help="worker threads (2)"
        )
        parser.add_argument(
            "-k",
            "--worker-type",
            choices=["thread", "process"],
            default="thread",
            help="thread (default) or process",
        )
        parser.add_argument(
            "--max-delay",
            type=float,
            default=2.0,
            help="longest pause between polls of an idle SQLite queue (2 s)",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="do not run periodic tasks (the heartbeat among them)",
        )

    def handle(self, *args, **options) -> None:
        if settings.HUEY.get("immediate"):
            raise CommandError(
                "LEITSTELLE_HUEY_IMMEDIATE is on, so there is no queue to work "
                "on: unset it to run workers."
            )
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        ensure_database()
        # run_huey adds its own log handler unless one is there; this one
        # lets the records reach the root handler of LOGGING, once.
        logging.getLogger("huey").addHandler(logging.NullHandler())
        call_command(
            "run_huey",
            workers=options["workers"],
            worker_type=options["worker_type"],
            max_delay=options["max_delay"],
            periodic=not options["no_periodic"],
        )
