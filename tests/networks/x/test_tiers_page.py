"""The channel page tells what the chosen X plan leaves out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leitstelle.networks.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def make_x_channel(tier: str) -> Channel:
    channel = Channel(
        kind="x", name="Polizei X", remote_id=f"x-{tier}", config={"tier": tier}
    )
    channel.set_credentials({"access_token": "secret"})
    channel.save()
    return channel


def test_it_lists_what_the_free_tier_leaves_out(admin_client):
    channel = make_x_channel("free")
    html = admin_client.get(
        reverse("networks:detail", args=[channel.pk])
    ).content.decode()
    assert "Not available for this channel" in html


def test_it_shows_mentions_as_available_on_the_basic_tier(admin_client):
    channel = make_x_channel("basic")
    response = admin_client.get(reverse("networks:detail", args=[channel.pk]))
    facts = dict(response.context["capabilities"])
    assert any(facts.values())
    assert response.context["unavailable_reasons"] != make_free_reasons(admin_client)


def make_free_reasons(admin_client) -> list[str]:
    channel = make_x_channel("free")
    response = admin_client.get(reverse("networks:detail", args=[channel.pk]))
    return response.context["unavailable_reasons"]
