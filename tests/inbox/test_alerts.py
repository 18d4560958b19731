"""The emergency banner every page polls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import Role, Unit
from leitstelle.inbox.models import Interaction
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.inbox.factories import InteractionFactory

pytestmark = pytest.mark.django_db
ALERT = reverse("inbox:emergency_alert")
HOSTILE = '<script>alert("x")</script> Hilfe, es brennt!'


def emergency(**overrides) -> Interaction:
    values = {"categories": ["emergency"], "status": "new", "text": HOSTILE}
    return InteractionFactory(**{**values, **overrides})


def test_it_says_nothing_without_emergencies(admin_client: Client) -> None:
    InteractionFactory(categories=["praise"], status="new")
    response = admin_client.get(ALERT)
    assert response.status_code == 200
    assert response.text.strip() == "", "a banner about nothing"


def test_it_shows_new_emergencies_escaped(admin_client: Client) -> None:
    item = emergency()
    response = admin_client.get(ALERT)
    assert 'data-count="1"' in response.text
    assert reverse("inbox:detail", args=[item.pk]) in response.text
    assert "&lt;script&gt;" in response.text and "<script>" not in response.text
    assert "no-cache" in response.headers["Cache-Control"]


def test_it_forgets_emergencies_someone_opened_or_hid(admin_client: Client) -> None:
    emergency(status="open")
    emergency(hidden_at=timezone.now())
    old = emergency()
    Interaction.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=2)
    )
    assert admin_client.get(ALERT).text.strip() == ""


def test_it_counts_beyond_the_items_it_lists(admin_client: Client) -> None:
    for _ in range(5):
        emergency()
    response = admin_client.get(ALERT)
    assert 'data-count="5"' in response.text
    assert response.text.count("<li>") == 3, "only the newest are listed"


def test_it_shows_only_channels_the_user_sees(client: Client) -> None:
    item = emergency()
    item.channel.units.add(Unit.objects.create(name="Leipzig"))
    reader = UserFactory(username="dresden", role=Role.ANALYST)
    reader.units.add(Unit.objects.create(name="Dresden"))
    assert login_client(client, reader).get(ALERT).text.strip() == ""


def test_every_page_polls_it_for_inbox_readers(client: Client) -> None:
    analyst = UserFactory(username="analyst", role=Role.ANALYST)
    page = login_client(client, analyst).get(reverse("core:account")).text
    assert f'hx-get="{ALERT}"' in page
    assert "data-background-poll" in page


def test_it_needs_a_login(client: Client) -> None:
    response = client.get(ALERT)
    assert response.status_code == 302
