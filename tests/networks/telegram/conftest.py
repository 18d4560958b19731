"""A Telegram channel whose Bot API answers with recorded payloads."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
from django.utils import translation

from leitstelle.networks.models import Channel
from leitstelle.networks.telegram.client import API_URL

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telegram"
TOKEN = "123456789:AAE-test-token-not-real_0123456789"
CHANNEL_ID = -1001234567890
GROUP_ID = -1009876543210


def payload(name: str) -> Any:
    """Return a recorded payload without its `_source` note."""
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return body


def make_channel(**config: Any) -> Channel:
    channel = Channel(
        kind="telegram",
        name="Polizei Musterstadt",
        remote_id=str(CHANNEL_ID),
        config={
            "channel": "@polizei_musterstadt",
            "chat_id": CHANNEL_ID,
            "discussion_group_id": GROUP_ID,
            **config,
        },
    )
    channel.set_credentials({"bot_token": TOKEN})
    return channel


@pytest.fixture
def channel() -> Channel:
    return make_channel()


@pytest.fixture
def bot() -> Iterator[respx.MockRouter]:
    with respx.mock(
        base_url=f"{API_URL}/bot{TOKEN}/", assert_all_called=False
    ) as router:
        yield router


# telegram-test-api (npm) emulates the Bot API for private chats; see
# ../shared/design/recipes/test-infrastructure.md, section 3.
TEST_API_VERSION = "telegram-test-api@4.2.1"
TEST_API_DIR = Path(__file__).resolve().parents[3] / ".cache" / "telegram-test-api"
SERVER_JS = """\
const TelegramServer = require('telegram-test-api');
const port = Number(process.env.TG_PORT);
const server = new TelegramServer({host: '127.0.0.1', port});
server.start().then(() => console.log('ready', server.config.apiURL));
process.on('SIGTERM', () => process.exit(0));
"""


def install_test_api() -> None:
    """Install the package once into the ignored .cache folder."""
    if (TEST_API_DIR / "node_modules" / "telegram-test-api").is_dir():
        return
    TEST_API_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        "npm",
        "install",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(TEST_API_DIR),
        TEST_API_VERSION,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=300, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"telegram-test-api could not be installed: {exc}")
    if done.returncode != 0:
        pytest.fail(f"npm install {TEST_API_VERSION} failed:\n{done.stderr[-2000:]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def telegram_test_api() -> Iterator[str]:
    """Start telegram-test-api; fail with its output when it does not start."""
    install_test_api()
    (TEST_API_DIR / "server.js").write_text(SERVER_JS)
    port = free_port()
    process = subprocess.Popen(
        ["node", "server.js"],
        cwd=TEST_API_DIR,
        env={**os.environ, "TG_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready, output = select.select([process.stdout], [], [], 20)[0], ""
    if ready:
        output = process.stdout.readline()
    if "ready" not in output:
        process.kill()
        rest = process.stdout.read() if process.stdout else ""
        pytest.fail(f"telegram-test-api did not start on port {port}: {output}{rest}")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    """Assert the English source texts; the UI defaults to German."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
