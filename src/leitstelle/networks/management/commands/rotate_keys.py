"""`leitstelle rotate_keys`: re-encrypt the channels' access with the newest key.

Put the new key first in LEITSTELLE_ENCRYPTION_KEYS and keep the old one
after it, run this command, then remove the old key.
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from leitstelle.networks.services import rotate_channel_keys


class Command(BaseCommand):
    help = "Re-encrypt every channel's stored access with the newest key."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = {"requested": False}

        def request_stop(signum: int, frame: Any) -> None:
            stop["requested"] = True

        previous = signal.signal(signal.SIGTERM, request_stop)
        try:
            report = rotate_channel_keys(
                on_progress=self.progress, should_stop=lambda: stop["requested"]
            )
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(f"{report.rotated} of {report.total} channels re-encrypted.")
        if report.stopped:
            self.stderr.write("Stopped early; run the command again to finish.")
        if report.unreadable:
            self.stderr.write(
                "These channels cannot be decrypted with any configured key: "
                + ", ".join(report.unreadable)
                + ". Add their old key, or connect them again."
            )
        if report.stopped or report.unreadable:
            raise SystemExit(1)

    def progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  {done}/{total}")
