"""Connecting a Threads profile through the UI."""

from __future__ import annotations

import pytest
import respx
from django.test import Client
from django.urls import reverse

from leitstelle.networks.models import Channel
from tests.networks.threads.conftest import payload

pytestmark = pytest.mark.django_db


def test_an_admin_connects_a_profile_with_a_token(
    admin_client: Client, api: respx.MockRouter
) -> None:
    api.get("/me").respond(json=payload("me.json"))
    admin_client.post(
        reverse("networks:connect", kwargs={"kind": "threads"}),
        {"access_token": "TH-TOKEN"},
    )
    admin_client.post(
        reverse("networks:confirm", kwargs={"kind": "threads"}), {"name": "Threads"}
    )
    channel = Channel.objects.get(kind="threads")
    assert (channel.remote_id, channel.handle) == (
        "1234567890123456",
        "polizei.musterstadt",
    )
    assert channel.credentials == {"access_token": "TH-TOKEN"}
