"""Start-up helpers: reach the database, create the first administrator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction

from leitstelle.core.audit import record_event
from leitstelle.core.models import Role, User

# No 0/O, 1/l/I: the password is read off a terminal and typed in again.
PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
FIRST_ADMIN_USERNAME = "admin"


class DatabaseUnreachable(Exception):
    """The configured database cannot be reached; the message says why."""


@dataclass(frozen=True)
class NewAdmin:
    user: User
    password: str


def generate_password(groups: int = 4, size: int = 5) -> str:
    """Return a strong password like `Xk7pQ-2mZr9-…` (about 115 bits)."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(size))
        for _ in range(groups)
    )


def database_location(config: dict[str, Any] | None = None) -> str:
    """Return where the database is, as host:port or file, never a password."""
    config = config or settings.DATABASES["default"]
    if config["ENGINE"].endswith("sqlite3"):
        return str(config["NAME"])
    host = config.get("HOST") or "localhost"
    port = config.get("PORT") or 5432
    return f"{host}:{port}"


def short_reason(exc: BaseException) -> str:
    """Return the gist of a driver error: its first line, without prefixes."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    reason = first.rsplit(": ", 1)[-1].strip().rstrip(".")
    return reason or type(exc).__name__


def unreachable_message(
    exc: BaseException, config: dict[str, Any] | None = None
) -> str:
    """Return the one sentence that explains an unreachable database."""
    config = config or settings.DATABASES["default"]
    location = database_location(config)
    reason = short_reason(exc)
    if config["ENGINE"].endswith("sqlite3"):
        return (
            f"Cannot open the SQLite database at {location}: {reason}. "
            "Check LEITSTELLE_DATA_DIR and DATABASE_URL."
        )
    return f"Cannot reach the database at {location}: {reason}. Check DATABASE_URL."


def ensure_database() -> None:
    """Connect to the database or raise DatabaseUnreachable."""
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        connection.close_if_unusable_or_obsolete()
        raise DatabaseUnreachable(unreachable_message(exc)) from exc


def database_is_reachable() -> bool:
    """Tell whether a fresh connection to the database can be opened."""
    try:
        connection.close()
        connection.ensure_connection()
    except DatabaseError:
        return False
    return True


def create_admin(*, username: str, email: str = "", reason: str) -> NewAdmin:
    """Create an administrator with a generated password and audit it."""
    password = generate_password()
    with transaction.atomic():
        user = User(username=username, email=email, role=Role.ADMIN)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        record_event(
            action="user.created",
            target=user,
            actor_label="system",
            details={"username": username, "role": Role.ADMIN, "reason": reason},
        )
    return NewAdmin(user=user, password=password)


def create_first_admin() -> NewAdmin | None:
    """Create the first administrator, unless there is any user at all."""
    if User.objects.exists():
        return None
    return create_admin(username=FIRST_ADMIN_USERNAME, reason="first start")
