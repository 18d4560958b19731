"""A wrong setting stops Leitstelle with one sentence, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection


def leitstelle(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the console script with `env` on top of a plain SQLite setup."""
    environ = {**os.environ, **env}
    if "DATABASE_URL" not in env:
        environ.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "leitstelle.cli", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_sentence(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith(".")
    return lines[0]


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "var")


def test_it_rejects_a_database_url_of_another_kind(data_dir):
    result = leitstelle(
        "check", LEITSTELLE_DATA_DIR=data_dir, DATABASE_URL="mysql://db/leitstelle"
    )
    assert assert_one_sentence(result) == (
        "DATABASE_URL must start with postgresql:// (or sqlite://), not 'mysql'."
    )


def test_it_explains_an_unreachable_postgresql(data_dir):
    result = leitstelle(
        "check",
        LEITSTELLE_DATA_DIR=data_dir,
        DATABASE_URL="postgresql://postgres:geheim@127.0.0.1:1/leitstelle",
    )
    sentence = assert_one_sentence(result)
    assert sentence == (
        "Cannot reach the database at 127.0.0.1:1: Connection refused. "
        "Check DATABASE_URL."
    )


def test_it_explains_an_unreachable_database_for_passthrough_commands(data_dir):
    result = leitstelle(
        "migrate",
        LEITSTELLE_DATA_DIR=data_dir,
        DATABASE_URL="postgresql://postgres:geheim@127.0.0.1:1/leitstelle",
    )
    assert assert_one_sentence(result).startswith(
        "Cannot reach the database at 127.0.0.1:1: "
    )
    assert "geheim" not in result.stderr


def test_it_rejects_a_malformed_base_url(data_dir):
    result = leitstelle(
        "check", LEITSTELLE_DATA_DIR=data_dir, LEITSTELLE_BASE_URL="leitstelle.example"
    )
    assert assert_one_sentence(result) == (
        "LEITSTELLE_BASE_URL must look like https://leitstelle.example.org, "
        "not 'leitstelle.example'."
    )


def test_it_rejects_a_data_dir_that_is_a_file(tmp_path):
    occupied = tmp_path / "a-file"
    occupied.write_text("")
    result = leitstelle("check", LEITSTELLE_DATA_DIR=str(occupied))
    sentence = assert_one_sentence(result)
    assert sentence.startswith(f"LEITSTELLE_DATA_DIR {occupied} is not writable")
    assert "point LEITSTELLE_DATA_DIR to a writable folder" in sentence


def test_it_rejects_a_malformed_number(data_dir):
    result = leitstelle(
        "check", LEITSTELLE_DATA_DIR=data_dir, LEITSTELLE_SESSION_IDLE_MINUTES="1h"
    )
    assert assert_one_sentence(result) == (
        "LEITSTELLE_SESSION_IDLE_MINUTES must be a whole number, not '1h'."
    )


@pytest.mark.django_db
def test_it_uses_a_file_for_the_sqlite_test_database(settings):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite keeps its test database in memory by default")
    name = Path(connection.settings_dict["NAME"])
    assert name.parent == settings.DATA_DIR
    assert name.name == f"test-{os.getpid()}.sqlite3"
