"""`leitstelle up`: prepare everything, then run web server and worker."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from leitstelle.core.bootstrap import NewAdmin, create_first_admin, ensure_database

STOP_TIMEOUT = 10.0
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Command(BaseCommand):
    help = (
        "Migrate, collect static files, create the first administrator, then "
        "run the web server (uvicorn) and the background worker until Ctrl-C."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=1, help="web server processes (1)"
        )

    def handle(self, *args, host: str, port: int, workers: int, **options) -> None:
        if settings.HUEY.get("immediate"):
            raise CommandError(
                "LEITSTELLE_HUEY_IMMEDIATE is on, so no worker can run: unset it."
            )
        ensure_port_free(host, port)
        ensure_database()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        url = site_url(host, port)
        admin = create_first_admin()
        if admin is not None:
            self.stdout.write(first_admin_box(url, admin))
        self.stdout.write(f"Leitstelle runs at {url} — Ctrl-C stops it.")
        self.stdout.flush()
        connections.close_all()  # the children have their own
        self.supervise(
            {
                "web server": web_server_command(host, port, workers),
                "worker": [sys.executable, "-m", "leitstelle.cli", "worker"],
            }
        )

    def supervise(self, commands: dict[str, list[str]]) -> None:
        """Run the children until a signal comes or one of them dies."""
        received: list[int] = []

        def stop(signum: int, frame: object) -> None:
            received.append(signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop)
        # Own process groups: a Ctrl-C reaches only this process, which then
        # stops the children in order, each exactly once.
        children = {
            name: subprocess.Popen(command, process_group=0, preexec_fn=die_with_parent)
            for name, command in commands.items()
        }
        while not received:
            dead = {n: c for n, c in children.items() if c.poll() is not None}
            if dead:
                name, child = next(iter(dead.items()))
                stop_all(children)
                self.stderr.write(
                    f"The {name} stopped unexpectedly (exit code "
                    f"{child.returncode}); stopped the rest, see the messages "
                    "above."
                )
                raise SystemExit(1)
            time.sleep(0.2)
        stop_all(children)
        self.stdout.write("Leitstelle stopped.")


def die_with_parent() -> None:
    """In a child: get SIGTERM should this process die without stopping it."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    """Ask every child to stop gracefully; kill those that do not in time."""
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def web_server_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "leitstelle.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--proxy-headers",
        "--lifespan",
        "off",
        "--no-server-header",
    ]


def ensure_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {host}:{port} ({exc.strerror}): stop the "
                "program using it or choose another port with --port."
            ) from None


def site_url(host: str, port: int) -> str:
    """Return the address people use: LEITSTELLE_BASE_URL when it is set."""
    if os.environ.get("LEITSTELLE_BASE_URL", "").strip():
        return settings.BASE_URL
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
    return f"http://{shown}:{port}"


def first_admin_box(url: str, admin: NewAdmin) -> str:
    lines = [
        "Leitstelle's first administrator has been created.",
        "",
        f"  Address:   {url}",
        f"  Username:  {admin.user.username}",
        f"  Password:  {admin.password}",
        "",
        "The password is shown only this once: write it down now.",
        "You will set up the second factor at first login.",
    ]
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 4) + "+"
    body = [f"|  {line.ljust(width)}  |" for line in lines]
    return "\n".join(["", rule, *body, rule, ""])
