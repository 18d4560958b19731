"""The `leitstelle` console script: a thin front for management commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

USAGE = """\
usage: leitstelle <command> [options]

  up           migrate, create the first administrator, start web server
               and background worker (what `make run` calls)
  worker       run background workers only (to scale out)
  createadmin  create an administrator and print its password once
  audit verify check the audit log's hash chain
  check        Django's deployment checks plus Leitstelle's, one line each
  triage       classify a text, train or evaluate a triage model

Any other Django management command works too: `leitstelle migrate`,
`leitstelle collectstatic`, `leitstelle help <command>`.
"""

# `leitstelle check` is richer than Django's own `check`, which stays
# available to Django's tooling under its name.
ALIASES = {"check": "check_setup"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        sys.stdout.write(USAGE)
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leitstelle.settings")
    args[0] = ALIASES.get(args[0], args[0])

    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.db import OperationalError

    try:
        django.setup()
        return run(args)
    except ImproperlyConfigured as exc:
        return fail(str(exc))
    except OperationalError as exc:
        from leitstelle.core.bootstrap import (
            database_is_reachable,
            unreachable_message,
        )

        if database_is_reachable():
            raise
        return fail(unreachable_message(exc))


def run(args: list[str]) -> int:
    from django.core.management import execute_from_command_line

    from leitstelle.core.bootstrap import DatabaseUnreachable

    try:
        execute_from_command_line(["leitstelle", *args])
    except DatabaseUnreachable as exc:
        return fail(str(exc))
    return 0


def fail(message: str) -> int:
    sys.stderr.write(f"{message}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
