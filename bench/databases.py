"""Run one benchmark module on a fresh SQLite and a throwaway PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit, urlunsplit

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def run_on_each(module: str, *, sqlite: int, postgres: int, label: str) -> None:
    """Run `python -m module LABEL COUNT` once per database.

    `label` names PostgreSQL for the module; SQLite is always "sqlite".
    """
    with tempfile.TemporaryDirectory(prefix="leitstelle-bench-") as data_dir:
        run_in_child(module, "sqlite", sqlite, data_dir, database_url="")
        server = postgres_server_url()
        database = create_postgres_database(server)
        if database is None:
            where = urlsplit(server).netloc.rpartition("@")[2]
            sys.stderr.write(f"# skipped PostgreSQL: nothing answers at {where}\n")
            return
        try:
            run_in_child(module, label, postgres, data_dir, database_url=database)
        finally:
            drop_postgres_database(server, database)


def run_in_child(
    module: str, label: str, count: int, data_dir: str, *, database_url: str
) -> None:
    """Measure in a fresh process: settings are made once per process."""
    env = {**os.environ, "LEITSTELLE_DATA_DIR": os.path.join(data_dir, label)}
    env.pop("LEITSTELLE_TESTING", None)
    env.pop("LEITSTELLE_HUEY_IMMEDIATE", None)
    env["DATABASE_URL"] = database_url
    command = [sys.executable, "-m", module, label, str(count)]
    subprocess.run(command, env=env, check=True)


def postgres_server_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else POSTGRES_URL


def create_postgres_database(server: str) -> str | None:
    """Create a throwaway database; return its URL, or None if unreachable."""
    import psycopg

    name = f"leitstelle_bench_{os.getpid()}"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def drop_postgres_database(server: str, database: str) -> None:
    import psycopg

    name = urlsplit(database).path.lstrip("/")
    with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
