"""Graph API error answers and the typed errors they must become.

Shared by the Facebook, Instagram and Threads tests: each network runs one
of its operations against every answer here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from leitstelle.networks.base import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    RateLimited,
    Unavailable,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"


def recorded(name: str, status: int = 400, **headers: str) -> httpx.Response:
    body = json.loads((FIXTURES / name).read_text())
    body.pop("_source", None)
    return httpx.Response(status, json=body, headers=headers)


USAGE = json.dumps(
    {
        "104512345678901": [
            {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}
        ]
    }
)

# (answer, expected error, what the error must carry); answers are made
# fresh per test: a response is read once.
Answer = Callable[[], httpx.Response | Exception]
GRAPH_ERRORS: list[tuple[Answer, type[ConnectorError], dict[str, Any]]] = [
    (lambda: recorded("error_token_expired.json"), AuthExpired, {"permanent": True}),
    (lambda: recorded("error_token_expired.json", 401), AuthExpired, {}),
    (lambda: recorded("error_permission.json", 403), AuthExpired, {}),
    (lambda: httpx.Response(401, text="Unauthorized"), AuthExpired, {}),
    (lambda: httpx.Response(403, text="Forbidden"), AuthExpired, {}),
    (lambda: recorded("error_rate_limit.json"), RateLimited, {"retry_after": None}),
    (
        lambda: recorded(
            "error_rate_limit.json", **{"X-Business-Use-Case-Usage": USAGE}
        ),
        RateLimited,
        {"retry_after": 300.0},
    ),
    (
        lambda: httpx.Response(429, headers={"Retry-After": "30"}),
        RateLimited,
        {"retry_after": 30.0},
    ),
    (lambda: httpx.Response(429), RateLimited, {"retry_after": None}),
    (lambda: recorded("error_transient.json", 500), Unavailable, {}),
    (lambda: httpx.Response(503, text="<html>down</html>"), Unavailable, {}),
    (lambda: httpx.Response(200, text="<html>not json</html>"), Unavailable, {}),
    (lambda: httpx.ConnectTimeout("timed out"), Unavailable, {}),
    (lambda: httpx.ReadTimeout("timed out"), Unavailable, {}),
    (
        lambda: recorded("error_invalid_parameter.json"),
        ContentRejected,
        {"reason": "Please enter a message.", "permanent": True},
    ),
]
IDS = [
    "code-190",
    "code-190-http-401",
    "code-200-permission",
    "plain-401",
    "plain-403",
    "code-32",
    "code-32-usage-header",
    "429-retry-after",
    "429-without-retry-after",
    "code-2-http-500",
    "503-html",
    "200-not-json",
    "connect-timeout",
    "read-timeout",
    "code-100-rejected",
]


def answer_with(route: Any, answer: Answer) -> None:
    """Make a respx route give `answer` (a response or a raised error)."""
    made = answer()
    if isinstance(made, Exception):
        route.side_effect = made
    else:
        route.return_value = made


def assert_carries(error: ConnectorError, detail: dict[str, Any]) -> None:
    for name, value in detail.items():
        assert getattr(error, name) == value, (name, error.__dict__)
