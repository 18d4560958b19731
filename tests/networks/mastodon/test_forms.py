"""The Mastodon connect form: instance address, limits, access token."""

from __future__ import annotations

from typing import Any

import pytest

from leitstelle.networks.mastodon.client import normalise_instance_url
from leitstelle.networks.mastodon.forms import ConnectForm
from tests.networks.mastodon.conftest import payload


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("mastodon.social", "https://mastodon.social"),
        (" https://Social.Bund.de/ ", "https://social.bund.de"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:3000/", "http://localhost:3000"),
    ],
)
def test_it_normalises_instance_addresses(typed: str, url: str) -> None:
    assert normalise_instance_url(typed) == url


@pytest.mark.parametrize(
    "typed",
    [
        "http://mastodon.social",
        "https://mastodon.social/@alice",
        "ftp://x.example",
        "https://",
        "https://a.example?x=1",
    ],
)
def test_it_refuses_what_is_not_an_https_instance(typed: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        normalise_instance_url(typed)


def test_it_returns_config_with_the_instance_limits(server: Any) -> None:
    form = ConnectForm({"instance": server.base_url, "access_token": "alice_token"})
    with server.fault(
        path="/api/v2/instance/", status=200, body=payload("instance_v2.json"), count=1
    ):
        assert form.is_valid(), form.errors
    config, credentials = form.channel_data()
    assert config["limits"]["max_characters"] == 5000
    assert (config["instance"], config["domain"], credentials) == (
        server.base_url,
        "social.example",
        {"access_token": "alice_token"},
    )


def test_it_explains_an_address_without_https() -> None:
    form = ConnectForm({"instance": "http://mastodon.social", "access_token": "t"})
    assert form.errors["instance"] == [
        "Enter the address of a Mastodon server, for example https://mastodon.social."
    ]


def test_it_explains_a_server_that_does_not_answer() -> None:
    form = ConnectForm({"instance": "http://127.0.0.1:9", "access_token": "t"})
    assert form.non_field_errors() == [
        "No Mastodon server answered at http://127.0.0.1:9. Check the address."
    ]


def test_it_requires_a_token() -> None:
    form = ConnectForm({"instance": "https://mastodon.social"})
    assert form.errors["access_token"] == ["This field is required."]
