"""Connecting a Facebook page and an Instagram account through the UI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import respx
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent
from leitstelle.networks.models import Channel
from tests.networks.facebook.conftest import PAGE_ID, payload

pytestmark = pytest.mark.django_db
FORM = {"page_id": PAGE_ID, "access_token": "EAAB-PAGE", "app_token": "123|secret"}


def test_an_admin_connects_a_page_and_sees_when_the_token_expires(
    admin_client: Client, graph: respx.MockRouter
) -> None:
    graph.get("/me").respond(json=payload("me.json"))
    graph.get("/debug_token").respond(json=payload("debug_token.json"))
    response = admin_client.post(
        reverse("networks:connect", kwargs={"kind": "facebook"}), FORM
    )
    confirm = reverse("networks:confirm", kwargs={"kind": "facebook"})
    assert response["Location"] == confirm
    assert "polizei.musterstadt" in admin_client.get(confirm).content.decode()
    admin_client.post(confirm, {"name": "Polizei Musterstadt"})
    channel = Channel.objects.get(kind="facebook")
    assert (channel.remote_id, channel.config) == (PAGE_ID, {"page_id": PAGE_ID})
    assert channel.credentials == {
        "access_token": "EAAB-PAGE",
        "app_token": "123|secret",
    }
    assert channel.credentials_expire_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert AuditEvent.objects.filter(action="channel.connected").count() == 1


def test_a_refused_token_keeps_the_form_with_the_reason(
    admin_client: Client, graph: respx.MockRouter
) -> None:
    graph.get("/me").respond(400, json=payload("error_token_expired.json"))
    url = reverse("networks:connect", kwargs={"kind": "facebook"})
    response = admin_client.post(url, FORM)
    assert response.status_code == 200
    assert "the access token is no longer valid" in response.content.decode()
    assert response.context["form"]["page_id"].value() == PAGE_ID
    assert not Channel.objects.exists()


def test_an_admin_connects_the_instagram_account_of_a_page(
    admin_client: Client, graph: respx.MockRouter
) -> None:
    account = payload("me.json") | {
        "instagram_business_account": {
            "id": "17841405822304914",
            "username": "polizei_musterstadt",
        }
    }
    graph.get(f"/{PAGE_ID}").respond(json=account)
    url = reverse("networks:connect", kwargs={"kind": "instagram"})
    admin_client.post(url, {"page_id": PAGE_ID, "access_token": "EAAB-PAGE"})
    admin_client.post(
        reverse("networks:confirm", kwargs={"kind": "instagram"}), {"name": "IG"}
    )
    channel = Channel.objects.get(kind="instagram")
    assert channel.remote_id == "17841405822304914"
    assert channel.config == {"page_id": PAGE_ID, "ig_user_id": "17841405822304914"}
