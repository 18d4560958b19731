"""The quarantine page: admins see unreadable payloads, inert, and dismiss them."""

from __future__ import annotations

import pytest

from leitstelle.core.models import AuditEvent
from leitstelle.inbox.models import QuarantinedPayload
from tests.conftest import login_client
from tests.inbox.factories import InboxChannelFactory

pytestmark = pytest.mark.django_db

HOSTILE = '{"text": "<script>alert(1)</script><img src=x onerror=alert(2)>"}'


@pytest.fixture
def payload() -> QuarantinedPayload:
    return QuarantinedPayload.objects.create(
        channel=InboxChannelFactory(name="Polizei Dresden"),
        reason="PayloadError: id is missing or not text <b>",
        raw_body=HOSTILE,
    )


def test_an_admin_sees_the_list(admin_client, payload):
    response = admin_client.get("/posteingang/quarantaene/")
    assert response.status_code == 200
    assert "Polizei Dresden" in response.text
    assert "id is missing or not text &lt;b&gt;" in response.text
    assert f"/posteingang/quarantaene/{payload.pk}/" in response.text


def test_the_detail_shows_the_raw_body_escaped(admin_client, payload):
    response = admin_client.get(f"/posteingang/quarantaene/{payload.pk}/")
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "onerror=alert(2)>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert '<pre class="raw-payload"' in response.text


@pytest.mark.parametrize("role", ["community_manager", "analyst", "editor", "approver"])
def test_only_admins_see_the_quarantine(client, payload, role, request):
    login_client(client, request.getfixturevalue(role))
    assert client.get("/posteingang/quarantaene/").status_code == 403
    assert client.get(f"/posteingang/quarantaene/{payload.pk}/").status_code == 403
    response = client.post(f"/posteingang/quarantaene/{payload.pk}/verwerfen/")
    assert response.status_code == 403
    assert QuarantinedPayload.objects.filter(pk=payload.pk).exists()


def test_an_admin_dismisses_a_payload_and_it_is_audited(admin_client, payload):
    response = admin_client.post(f"/posteingang/quarantaene/{payload.pk}/verwerfen/")
    assert response.status_code == 302
    assert not QuarantinedPayload.objects.exists()
    event = AuditEvent.objects.get(action="inbox.quarantine_dismissed")
    assert event.details["payload"] == payload.pk
    assert event.details["reason"].startswith("PayloadError")


def test_it_filters_by_channel_and_pages_by_id(admin_client):
    one, two = InboxChannelFactory(name="Kanal Eins"), InboxChannelFactory()
    for n in range(52):
        QuarantinedPayload.objects.create(channel=one, reason=f"Grund {n}")
    QuarantinedPayload.objects.create(channel=two, reason="Anderer Kanal")
    first = admin_client.get("/posteingang/quarantaene/", {"channel": one.pk})
    assert "Anderer Kanal" not in first.text
    assert "Grund 51" in first.text and "Grund 1<" not in first.text
    older = first.context["older"]
    assert older is not None
    second = admin_client.get(
        "/posteingang/quarantaene/", {"channel": one.pk, "before": older}
    )
    assert [p.reason for p in second.context["payloads"]] == ["Grund 1", "Grund 0"]
    assert second.context["older"] is None


def test_an_empty_quarantine_says_so(admin_client):
    response = admin_client.get("/posteingang/quarantaene/")
    assert "Nothing in quarantine" in response.text


def test_the_channel_list_links_to_the_quarantine_for_admins(admin_client):
    response = admin_client.get("/kanaele/")
    assert "/posteingang/quarantaene/" in response.text


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_payload_stays_inert_and_is_dismissed(page, live_server):
    from django.conf import settings as django_settings
    from django.test import Client

    from tests.core.factories import UserFactory

    admin = UserFactory(username="chefin", role="admin", with_totp=True)
    payload = QuarantinedPayload.objects.create(
        channel=InboxChannelFactory(name="Polizei Görlitz"),
        reason="JSONDecodeError: Expecting value",
        raw_body=HOSTILE,
    )
    browser_client = login_client(Client(), admin)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": browser_client.cookies[
                    django_settings.SESSION_COOKIE_NAME
                ].value,
                "url": live_server.url,
            },
            {"name": "leitstelle_language", "value": "en", "url": live_server.url},
        ]
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    page.goto(f"{live_server.url}/posteingang/quarantaene/")
    page.locator(f'a[href$="/quarantaene/{payload.pk}/"]').click()
    raw = page.locator("pre.raw-payload")
    assert "<script>alert(1)</script>" in raw.inner_text()
    assert page.locator("pre.raw-payload script, pre.raw-payload img").count() == 0

    page.get_by_role("button", name="Dismiss").click()
    page.wait_for_url(f"{live_server.url}/posteingang/quarantaene/")
    assert len(dialogs) == 1  # only the confirmation, never the payload's alert
    assert not QuarantinedPayload.objects.exists()


# Reading a webhook payload again


@pytest.fixture
def broken_webhook_payload(facebook_channel):
    from leitstelle.inbox import webhooks

    payload = {
        "object": "page",
        "entry": [
            {
                "id": "104512345678901",
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "1_5",
                            "post_id": "104512345678901_1",
                            "from": {"id": "77", "name": "Erika"},
                            "message": "Wann ist frei?",
                            "created_time": 1748855400,
                        },
                    }
                ],
            }
        ],
    }
    webhooks.quarantine(facebook_channel, "KeyError: a parser bug", payload)
    return QuarantinedPayload.objects.get()


@pytest.fixture
def facebook_channel():
    from leitstelle.networks.models import Channel

    channel = Channel(
        kind="facebook",
        name="Polizei Musterstadt",
        remote_id="104512345678901",
        config={"page_id": "104512345678901"},
    )
    channel.set_credentials({"access_token": "t", "webhook_secret": "s"})
    channel.save()
    return channel


def test_an_admin_reads_a_webhook_payload_again(admin_client, broken_webhook_payload):
    from leitstelle.inbox.models import Interaction

    page = admin_client.get(f"/posteingang/quarantaene/{broken_webhook_payload.pk}/")
    assert f"/quarantaene/{broken_webhook_payload.pk}/erneut/" in page.text
    response = admin_client.post(
        f"/posteingang/quarantaene/{broken_webhook_payload.pk}/erneut/"
    )
    assert response.status_code == 302
    item = Interaction.objects.get()
    assert (item.remote_id, item.text) == ("1_5", "Wann ist frei?")
    assert not QuarantinedPayload.objects.exists()
    event = AuditEvent.objects.get(action="inbox.quarantine_retried")
    assert event.details["created"] == 1


def test_a_payload_that_still_fails_stays(admin_client, broken_webhook_payload):
    from leitstelle.inbox.models import Interaction

    admin_client.cookies["leitstelle_language"] = "en"
    broken_webhook_payload.raw_body = '{"object": "page", "entry": "kaputt"}'
    broken_webhook_payload.save()
    response = admin_client.post(
        f"/posteingang/quarantaene/{broken_webhook_payload.pk}/erneut/", follow=True
    )
    assert "The payload still cannot be read" in response.text
    assert QuarantinedPayload.objects.get() == broken_webhook_payload
    assert not Interaction.objects.exists()
    assert not AuditEvent.objects.filter(action="inbox.quarantine_retried").exists()


def test_payloads_of_polls_are_not_read_again(admin_client, payload):
    page = admin_client.get(f"/posteingang/quarantaene/{payload.pk}/")
    assert "/erneut/" not in page.text
    response = admin_client.post(f"/posteingang/quarantaene/{payload.pk}/erneut/")
    assert response.status_code == 302
    assert QuarantinedPayload.objects.filter(pk=payload.pk).exists()


def test_only_admins_read_payloads_again(client, community_manager, payload):
    login_client(client, community_manager)
    response = client.post(f"/posteingang/quarantaene/{payload.pk}/erneut/")
    assert response.status_code == 403
