"""Real processes: a Huey consumer runs our task; `leitstelle up` starts and
stops web server and worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage, SqliteStorage

from leitstelle.core.models import WorkerHeartbeat
from leitstelle.core.tasks import record_heartbeat

pytestmark = pytest.mark.integration

LEITSTELLE = [sys.executable, "-m", "leitstelle.cli"]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_database_url() -> str:
    """Return a DATABASE_URL that points a child process at the test DB."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


test_database_url.__test__ = False  # a helper, not a test


def output(log: Path) -> str:
    return log.read_text() if log.exists() else ""


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Point HUEY at a real, private queue; return the child's environment."""
    if request.param == "sqlite":
        storage = SqliteStorage("leitstelle", filename=str(tmp_path / "huey.sqlite3"))
        env = {"LEITSTELLE_DATA_DIR": str(tmp_path)}
    else:
        if not redis_reachable():
            if os.environ.get("REDIS_URL"):
                pytest.fail(f"REDIS_URL is set but {REDIS_URL} does not answer")
            pytest.skip(f"no Redis at {REDIS_URL}")
        name = f"leitstelle-test-{uuid.uuid4().hex}"
        storage = RedisStorage(name, url=REDIS_URL)
        env = {"REDIS_URL": REDIS_URL, "LEITSTELLE_HUEY_NAME": name}
    saved = HUEY.storage, HUEY._immediate
    HUEY.storage, HUEY._immediate = storage, False
    try:
        yield env
    finally:
        HUEY.storage, HUEY._immediate = saved
        storage.flush_all()


@pytest.fixture
def consumer(queue: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        **queue,
        "DATABASE_URL": test_database_url(),
        "LEITSTELLE_HUEY_IMMEDIATE": "0",
    }
    if "REDIS_URL" not in queue:
        env.pop("REDIS_URL", None)
    log = tmp_path / "worker.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*LEITSTELLE, "worker", "-w", "1", "--max-delay", "0.2", "--no-periodic"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    proc.log = log  # type: ignore[attr-defined]
    yield proc
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0, output(log)


def wait_for_heartbeat(
    consumer: subprocess.Popen, after: datetime | None = None, timeout: float = 15
) -> WorkerHeartbeat:
    """Return the consumer's heartbeat once there is one newer than `after`."""
    worker = f"{socket.gethostname()}:{consumer.pid}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = WorkerHeartbeat.objects.filter(worker=worker).first()
        if found is not None and (after is None or found.seen_at > after):
            return found
        time.sleep(0.1)
    pytest.fail(f"no heartbeat from {worker} after {after}:\n{output(consumer.log)}")


@pytest.mark.django_db(transaction=True)
def test_a_consumer_process_reports_in_on_startup(consumer):
    heartbeat = wait_for_heartbeat(consumer)
    assert heartbeat.worker == f"{socket.gethostname()}:{consumer.pid}"


@pytest.mark.django_db(transaction=True)
def test_a_consumer_process_runs_the_heartbeat_task(consumer):
    started = wait_for_heartbeat(consumer).seen_at
    record_heartbeat()
    assert wait_for_heartbeat(consumer, after=started).seen_at > started
    assert HUEY.pending_count() == 0


# `leitstelle up`, for real, on a fresh data directory.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Up:
    """One `leitstelle up` process with its own data dir, port and log."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"up-{self.port}.log"
        env = {
            **os.environ,
            "LEITSTELLE_DATA_DIR": str(data_dir),
            "LEITSTELLE_BASE_URL": self.url,
        }
        # As in production: no test mode, SQLite and SqliteHuey in data_dir.
        for name in (
            "DATABASE_URL",
            "REDIS_URL",
            "LEITSTELLE_HUEY_IMMEDIATE",
            "LEITSTELLE_TESTING",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        ):
            env.pop(name, None)
        with self.log.open("w") as sink:
            self.proc = subprocess.Popen(
                [*LEITSTELLE, "up", "--port", str(self.port)],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    @property
    def output(self) -> str:
        return output(self.log)

    def wait_until_healthy(self, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output
            try:
                response = httpx.get(f"{self.url}/healthz", timeout=2)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 200:
                return response.json()
            time.sleep(0.1)
        pytest.fail(f"/healthz never answered 200:\n{self.output}")

    def started_children(self) -> list[int]:
        found = [
            re.search(r"Started server process \[(\d+)\]", self.output),
            re.search(r"Huey consumer started .* PID (\d+)", self.output),
        ]
        return [int(match.group(1)) for match in found if match]

    def child_pids(self, timeout: float = 15) -> list[int]:
        """Return the pids of web server and worker, once both have started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(pids := self.started_children()) == 2:
                return pids
            time.sleep(0.1)
        pytest.fail(f"web server and worker did not both start:\n{self.output}")

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=15)

    def close(self) -> None:
        """Stop whatever still runs, even after a failed test."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in self.started_children():
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)


@dataclass
class FirstStart:
    up: Up
    health: dict
    children: list[int]
    exit_code: int


@pytest.fixture(scope="module")
def first_start(tmp_path_factory: pytest.TempPathFactory) -> FirstStart:
    """Start `leitstelle up` on a fresh data dir, wait until healthy, Ctrl-C."""
    up = Up(tmp_path_factory.mktemp("up") / "var")
    try:
        health = up.wait_until_healthy()
        children = up.child_pids()
        exit_code = up.stop()
    finally:
        up.close()
    return FirstStart(up=up, health=health, children=children, exit_code=exit_code)


@pytest.fixture
def restarted(first_start: FirstStart) -> Iterator[Up]:
    """Start `leitstelle up` again on the data dir of the first start."""
    up = Up(first_start.up.data_dir)
    yield up
    up.close()


def stored_admin(data_dir: Path) -> tuple[str, str]:
    with sqlite3.connect(data_dir / "leitstelle.sqlite3") as db:
        return db.execute(
            "SELECT password, role FROM core_user WHERE username = 'admin'"
        ).fetchone()


def is_running(pid: int) -> bool:
    """Tell whether the process lives (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_up_serves_the_site_with_a_working_worker(first_start):
    assert first_start.health["status"] == "ok"
    assert first_start.health["worker"]["ok"] is True


def test_up_prints_the_first_admins_working_password_once(first_start):
    output = first_start.up.output
    passwords = re.findall(r"Password:\s+(\S+)", output)
    assert len(passwords) == 1, output
    assert f"Address:   {first_start.up.url}" in output
    assert "second factor at first login" in output
    encoded, role = stored_admin(first_start.up.data_dir)
    assert role == "admin"
    assert PBKDF2PasswordHasher().verify(passwords[0], encoded)


def test_up_stops_web_server_and_worker_on_ctrl_c(first_start):
    assert first_start.exit_code == 0, first_start.up.output
    assert not [pid for pid in first_start.children if is_running(pid)]
    assert first_start.up.output.rstrip().endswith("Leitstelle stopped.")


def test_up_starts_again_quickly_without_a_new_admin(restarted):
    # Seconds when the machine is idle; the bound leaves room for a busy one.
    started = time.monotonic()
    restarted.wait_until_healthy(timeout=15)
    assert time.monotonic() - started < 15
    assert "Password:" not in restarted.output
    assert restarted.stop() == 0


def test_up_stops_web_server_and_worker_on_sigterm(restarted):
    restarted.wait_until_healthy()
    children = restarted.child_pids()
    assert restarted.stop(signal.SIGTERM) == 0, restarted.output
    assert not [pid for pid in children if is_running(pid)]
    assert "Shutting down gracefully" in restarted.output


def test_up_takes_web_server_and_worker_along_when_killed(restarted):
    restarted.wait_until_healthy()
    children = restarted.child_pids()
    restarted.proc.kill()
    deadline = time.monotonic() + 15
    while any(is_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if is_running(pid)]


def test_up_stops_everything_when_the_worker_dies(restarted):
    restarted.wait_until_healthy()
    web, worker = restarted.child_pids()
    os.kill(worker, signal.SIGKILL)
    assert restarted.proc.wait(timeout=15) == 1
    assert "The worker stopped unexpectedly (exit code -9)" in restarted.output
    assert not is_running(web)
