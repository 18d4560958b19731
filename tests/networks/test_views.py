"""Channel pages: list, connect flow, detail and the admins' actions."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from leitstelle.core.models import AuditEvent, Role
from leitstelle.lib import crypto
from leitstelle.networks import registry, views
from leitstelle.networks.models import Channel, ChannelStatus
from tests.conftest import login_client
from tests.core.factories import UnitFactory, UserFactory
from tests.networks.factories import ChannelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("testnet")]

LIST = reverse("networks:list")
CHOOSE = reverse("networks:choose")
CONNECT = reverse("networks:connect", args=["testnet"])
CONFIRM = reverse("networks:confirm", args=["testnet"])
GOOD = {"server": "https://test.example", "token": "good"}


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def ghost(monkeypatch):
    """A network whose folder does not exist (yet)."""
    monkeypatch.setitem(
        registry.CONNECTORS, "ghost", "leitstelle.networks.ghost.connector.Ghost"
    )
    monkeypatch.setitem(registry.LABELS, "ghost", "Geisternetz")


def channel_urls(channel: Channel) -> list[tuple[str, str]]:
    return [
        ("get", CHOOSE),
        ("get", CONNECT),
        ("post", CONNECT),
        ("get", CONFIRM),
        ("post", CONFIRM),
        ("get", reverse("networks:reauthorise", args=[channel.pk])),
        ("post", reverse("networks:reauthorise", args=[channel.pk])),
        ("post", reverse("networks:access", args=[channel.pk])),
        ("post", reverse("networks:check", args=[channel.pk])),
        ("post", reverse("networks:pause", args=[channel.pk])),
        ("post", reverse("networks:resume", args=[channel.pk])),
        ("post", reverse("networks:disconnect", args=[channel.pk])),
    ]


def detail_url(channel: Channel) -> str:
    return reverse("networks:detail", args=[channel.pk])


def start_connect(client, data=GOOD):
    return client.post(CONNECT, data)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# Permissions


def test_it_sends_anonymous_visitors_to_the_login(client):
    channel = ChannelFactory()
    urls = [("get", LIST), ("get", detail_url(channel)), *channel_urls(channel)]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("core:login")), url


@pytest.mark.parametrize("role_client", ["analyst_client", "editor_client"])
def test_it_refuses_changes_to_other_roles(request, role_client):
    client = request.getfixturevalue(role_client)
    channel = ChannelFactory()
    for method, url in channel_urls(channel):
        assert getattr(client, method)(url).status_code == 403, url
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE


def test_it_shows_every_role_the_channels_they_may_see(analyst_client):
    channel = ChannelFactory(name="Polizei Sachsen")
    assert "Polizei Sachsen" in analyst_client.get(LIST).content.decode()
    assert analyst_client.get(detail_url(channel)).status_code == 200


def test_it_hides_the_admin_buttons_from_other_roles(analyst_client):
    channel = ChannelFactory(status=ChannelStatus.NEEDS_REAUTH)
    content = analyst_client.get(detail_url(channel)).content.decode()
    assert reverse("networks:reauthorise", args=[channel.pk]) not in content
    assert reverse("networks:disconnect", args=[channel.pk]) not in content
    assert CHOOSE not in analyst_client.get(LIST).content.decode()


# List


def test_it_shows_a_leipzig_community_manager_only_unrestricted_and_leipzig_channels(
    client,
):
    leipzig, dresden = UnitFactory(name="Leipzig"), UnitFactory(name="Dresden")
    manager = UserFactory(username="cm-leipzig", role=Role.COMMUNITY)
    manager.units.set([leipzig])
    ChannelFactory(name="Polizei Sachsen")
    ChannelFactory(name="Polizei Leipzig").units.set([leipzig])
    ChannelFactory(name="Polizei Dresden").units.set([dresden])
    ChannelFactory(name="Persönlich zugeteilt").users.set([manager])
    content = login_client(client, manager).get(LIST).content.decode()
    assert "Polizei Sachsen" in content
    assert "Polizei Leipzig" in content
    assert "Persönlich zugeteilt" in content
    assert "Polizei Dresden" not in content


def test_it_hides_the_detail_of_a_channel_restricted_to_another_unit(client):
    manager = UserFactory(role=Role.COMMUNITY)
    manager.units.set([UnitFactory(name="Leipzig")])
    channel = ChannelFactory()
    channel.units.set([UnitFactory(name="Dresden")])
    response = login_client(client, manager).get(detail_url(channel))
    assert response.status_code == 404


def test_it_shows_admins_every_channel(admin_client):
    ChannelFactory(name="Polizei Dresden").units.set([UnitFactory(name="Dresden")])
    assert "Polizei Dresden" in admin_client.get(LIST).content.decode()


def test_it_lists_channels_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    unit = UnitFactory(name="Leipzig")
    for _ in range(8):
        ChannelFactory().units.set([unit])
    with django_assert_max_num_queries(20):
        response = admin_client.get(LIST)
    assert response.status_code == 200


def test_it_explains_a_revoked_channel_with_the_button_to_fix_it(admin_client):
    channel = ChannelFactory(status=ChannelStatus.NEEDS_REAUTH)
    content = admin_client.get(LIST).content.decode()
    assert "Access has expired or was revoked. Please connect again." in content
    assert reverse("networks:reauthorise", args=[channel.pk]) in content


def test_it_shows_until_when_a_channel_is_rate_limited(admin_client):
    until = datetime(2030, 5, 17, 14, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    ChannelFactory(status=ChannelStatus.RATE_LIMITED, rate_limited_until=until)
    content = admin_client.get(LIST).content.decode()
    assert "The network asked to wait until 05/17/2030 2:30 p.m.." in content


def test_it_shows_the_last_error_of_a_failing_channel(admin_client):
    ChannelFactory(status=ChannelStatus.FAILING, last_error="Testnetz is unavailable.")
    content = admin_client.get(LIST).content.decode()
    assert "Last error: Testnetz is unavailable." in content


def test_it_shows_initials_instead_of_loading_remote_avatars(admin_client):
    ChannelFactory(
        display_name="Polizei Leipzig", avatar_url="https://test.example/a.png"
    )
    content = admin_client.get(LIST).content.decode()
    assert "https://test.example/a.png" not in content
    assert ">PL</span>" in content


def test_it_shows_when_access_expires(admin_client):
    expires = datetime(2030, 1, 2, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    ChannelFactory(credentials_expire_at=expires)
    assert "01/02/2030 9 a.m." in admin_client.get(LIST).content.decode()


def test_it_alerts_admins_on_the_list(admin_client):
    ChannelFactory(name="Polizei Leipzig", status=ChannelStatus.PAUSED)
    content = admin_client.get(LIST).content.decode()
    assert "Channels that need an administrator" in content


def test_it_invites_admins_to_connect_the_first_channel(admin_client):
    content = admin_client.get(LIST).content.decode()
    assert "No channels yet" in content
    assert CHOOSE in content


# Choosing a network


def test_it_offers_the_exercise_network_first(admin_client):
    kinds = admin_client.get(CHOOSE).context["kinds"]
    assert kinds[0]["kind"] == "exercise"
    assert kinds[0]["label"] == "Übungsnetz"
    assert {entry["kind"] for entry in kinds} >= set(registry.CONNECTORS)


def test_it_says_a_missing_network_is_not_available_yet(admin_client, ghost):
    response = admin_client.get(CHOOSE)
    ghost_entry = next(e for e in response.context["kinds"] if e["kind"] == "ghost")
    assert ghost_entry["available"] is False
    assert "Not available yet." in response.content.decode()
    assert reverse("networks:connect", args=["testnet"]) in response.content.decode()


def test_it_shows_a_page_instead_of_crashing_for_a_missing_network(admin_client, ghost):
    response = admin_client.get(reverse("networks:connect", args=["ghost"]))
    assert response.status_code == 200
    assert "Connecting Geisternetz is not available yet" in response.content.decode()


def test_it_answers_404_for_an_unknown_network(admin_client):
    url = reverse("networks:connect", args=["myspace"])
    assert admin_client.get(url).status_code == 404


# Connecting


def test_it_shows_the_network_connect_form(admin_client):
    response = admin_client.get(CONNECT)
    assert response.status_code == 200
    assert 'name="token"' in response.content.decode()


def test_it_shows_the_verified_account_before_saving(admin_client):
    response = start_connect(admin_client)
    assert response.status_code == 302
    assert response.url == CONFIRM
    assert not Channel.objects.exists()
    content = admin_client.get(CONFIRM).content.decode()
    assert "Polizei Leipzig" in content
    assert "@leipzig@test.example" in content
    assert "https://test.example/avatars/leipzig.png" in content
    assert "<img" not in content.split("<main", 1)[1]


def test_it_keeps_the_credentials_only_encrypted_in_the_session(admin_client):
    start_connect(admin_client, {**GOOD, "token": "good"})
    pending = admin_client.session[views.PENDING_KEY]
    assert '"good"' not in str(pending)
    assert crypto.decrypt_json(pending["credentials"]) == {"token": "good"}
    content = admin_client.get(CONFIRM).content.decode()
    assert 'type="hidden" name="token"' not in content
    assert pending["credentials"] not in content


def test_it_saves_the_channel_on_confirmation(admin_client, admin_user):
    start_connect(admin_client)
    response = admin_client.post(CONFIRM, {"name": "Polizei Leipzig (Testnetz)"})
    channel = Channel.objects.get()
    assert response.url == detail_url(channel)
    assert channel.name == "Polizei Leipzig (Testnetz)"
    assert channel.remote_id == "42"
    assert channel.config == {"server": "https://test.example"}
    assert channel.credentials == {"token": "good"}
    assert channel.created_by == admin_user
    assert AuditEvent.objects.filter(action="channel.connected").count() == 1
    assert views.PENDING_KEY not in admin_client.session


def test_it_restricts_the_new_channel_on_confirmation(admin_client, editor):
    unit = UnitFactory(name="Leipzig")
    start_connect(admin_client)
    admin_client.post(
        CONFIRM, {"name": "Leipzig", "units": [unit.pk], "users": [editor.pk]}
    )
    channel = Channel.objects.get()
    assert list(channel.units.all()) == [unit]
    assert list(channel.users.all()) == [editor]


def test_it_never_shows_the_credentials_after_saving(admin_client):
    start_connect(admin_client, {**GOOD, "token": "good"})
    admin_client.post(CONFIRM, {"name": "Leipzig"})
    channel = Channel.objects.get()
    for url in (LIST, detail_url(channel)):
        content = admin_client.get(url).content.decode()
        assert channel.credentials_encrypted not in content
        assert '"good"' not in content and ">good<" not in content
    reauth = admin_client.get(reverse("networks:reauthorise", args=[channel.pk]))
    assert 'value="good"' not in reauth.content.decode()


def test_it_says_why_the_network_refused_the_credentials(admin_client):
    response = start_connect(admin_client, {**GOOD, "token": "expired"})
    assert response.status_code == 200
    assert "Testnetz: access was refused (invalid_token)." in response.content.decode()
    assert views.PENDING_KEY not in admin_client.session
    assert not Channel.objects.exists()


def test_it_keeps_what_was_typed_when_the_network_refuses(admin_client):
    data = {"server": "https://other.example", "token": "expired"}
    response = start_connect(admin_client, data)
    assert 'value="https://other.example"' in response.content.decode()


def test_it_points_out_missing_fields(admin_client):
    response = start_connect(admin_client, {"server": "https://test.example"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_it_refuses_an_account_that_is_already_connected(admin_client):
    ChannelFactory(name="Schon da", remote_id="42")
    response = start_connect(admin_client)
    assert response.status_code == 200
    assert "is already connected as “Schon da”." in response.content.decode()


def test_it_asks_to_start_again_without_a_verified_account(admin_client):
    response = admin_client.get(CONFIRM, follow=True)
    assert response.redirect_chain[-1][0] == CONNECT
    assert messages_of(response) == [
        "The connection was not finished in time. Please start again."
    ]


def test_it_asks_to_start_again_after_half_an_hour(admin_client):
    start_connect(admin_client)
    session = admin_client.session
    session[views.PENDING_KEY]["stashed_at"] = time.time() - 31 * 60
    session.save()
    response = admin_client.post(CONFIRM, {"name": "Leipzig"})
    assert response.url == CONNECT
    assert not Channel.objects.exists()


def test_it_asks_for_a_name_on_confirmation(admin_client):
    start_connect(admin_client)
    response = admin_client.post(CONFIRM, {"name": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert views.PENDING_KEY in admin_client.session


def test_it_connects_the_exercise_network_end_to_end(admin_client):
    url = reverse("networks:connect", args=["exercise"])
    data = {"handle": "polizei_uebung", "display_name": "Polizei Übung"}
    assert admin_client.post(url, data).status_code == 302
    admin_client.post(reverse("networks:confirm", args=["exercise"]), {"name": "Übung"})
    channel = Channel.objects.get(kind="exercise")
    assert channel.handle.endswith("polizei_uebung")


# Detail


def test_it_shows_what_the_network_can_do(admin_client):
    content = admin_client.get(detail_url(ChannelFactory())).content.decode()
    assert "What this network can do" in content
    assert "321 characters as people see them; an emoji counts once" in content
    assert "a link counts as 23" in content
    assert "up to 3, each up to" in content
    assert "Hide comments" in content


def test_it_shows_the_status_and_last_error(admin_client):
    channel = ChannelFactory(status=ChannelStatus.PAUSED, last_error="kaputt")
    content = admin_client.get(detail_url(channel)).content.decode()
    assert "Leitstelle does not contact the network until an administrator" in content
    assert "kaputt" in content
    assert reverse("networks:resume", args=[channel.pk]) in content


# Re-authorising


def test_it_reauthorises_with_the_same_account(admin_client):
    channel = ChannelFactory(remote_id="42", token="expired", status="needs_reauth")
    url = reverse("networks:reauthorise", args=[channel.pk])
    response = admin_client.post(url, GOOD, follow=True)
    assert messages_of(response) == ["The channel has been connected again."]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.credentials == {"token": "good"}


def test_it_refuses_to_reauthorise_with_another_account(admin_client):
    channel = ChannelFactory(remote_id="42", token="expired")
    url = reverse("networks:reauthorise", args=[channel.pk])
    response = admin_client.post(url, {**GOOD, "token": "other"})
    assert response.status_code == 200
    assert "These credentials belong to @dresden@test.example" in (
        response.content.decode()
    )


# Actions


def test_it_saves_who_sees_the_channel(admin_client):
    channel = ChannelFactory()
    unit = UnitFactory(name="Leipzig")
    url = reverse("networks:access", args=[channel.pk])
    response = admin_client.post(url, {"units": [unit.pk]}, follow=True)
    assert messages_of(response) == ["Who sees the channel has been saved."]
    assert list(channel.units.all()) == [unit]
    assert AuditEvent.objects.filter(action="channel.access_changed").exists()


def test_it_refuses_unknown_units(admin_client):
    channel = ChannelFactory()
    url = reverse("networks:access", args=[channel.pk])
    response = admin_client.post(url, {"units": [99999]}, follow=True)
    assert messages_of(response) == ["Choose existing units and people."]
    assert not channel.units.exists()


def test_it_checks_a_channel_on_demand(admin_client, testnet):
    channel = ChannelFactory()
    url = reverse("networks:check", args=[channel.pk])
    response = admin_client.post(url, follow=True)
    assert messages_of(response) == ["The channel works."]
    assert testnet.calls == [channel.pk]


def test_it_shows_the_error_of_an_on_demand_check(admin_client):
    channel = ChannelFactory(token="down")
    url = reverse("networks:check", args=[channel.pk])
    response = admin_client.post(url, follow=True)
    assert messages_of(response) == ["Testnetz is unavailable (HTTP 503)."]


def test_it_does_not_check_a_paused_channel_on_demand(admin_client, testnet):
    channel = ChannelFactory(status=ChannelStatus.PAUSED)
    url = reverse("networks:check", args=[channel.pk])
    response = admin_client.post(url, follow=True)
    assert messages_of(response) == [
        "The channel is paused and was not checked. Resume it first."
    ]
    assert testnet.calls == []


def test_it_says_until_when_a_rate_limited_channel_waits(admin_client, testnet):
    until = datetime(2030, 5, 17, 14, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    channel = ChannelFactory(
        status=ChannelStatus.RATE_LIMITED, rate_limited_until=until
    )
    url = reverse("networks:check", args=[channel.pk])
    response = admin_client.post(url, follow=True)
    assert messages_of(response) == [
        "The network asked to wait until 05/17/2030 2:30 p.m.; "
        "the channel was not checked."
    ]
    assert testnet.calls == []


def test_it_asks_to_connect_again_instead_of_checking(admin_client):
    channel = ChannelFactory(status=ChannelStatus.NEEDS_REAUTH)
    url = reverse("networks:check", args=[channel.pk])
    response = admin_client.post(url, follow=True)
    assert messages_of(response) == [
        "The channel was not checked. Connect it again first."
    ]


def test_it_pauses_and_resumes_a_channel(admin_client):
    channel = ChannelFactory()
    response = admin_client.post(
        reverse("networks:pause", args=[channel.pk]), follow=True
    )
    assert messages_of(response) == ["The channel is paused."]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.PAUSED
    response = admin_client.post(
        reverse("networks:resume", args=[channel.pk]), follow=True
    )
    assert messages_of(response) == ["The channel is active again."]
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE


def test_it_says_when_a_channel_cannot_be_resumed(admin_client):
    channel = ChannelFactory()
    url = reverse("networks:resume", args=[channel.pk])
    response = admin_client.post(url, follow=True)
    assert messages_of(response) == ["Only a paused channel can be resumed."]


def test_it_disconnects_a_channel_after_confirmation(admin_client):
    channel = ChannelFactory(name="Alt")
    content = admin_client.get(detail_url(channel)).content.decode()
    assert 'data-confirm="Disconnect Alt? The stored access is deleted."' in content
    url = reverse("networks:disconnect", args=[channel.pk])
    response = admin_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert messages_of(response) == ["“Alt” has been disconnected."]
    assert not Channel.objects.exists()
    assert AuditEvent.objects.filter(action="channel.disconnected").exists()


def test_it_offers_channels_in_the_navigation_to_every_role(analyst_client):
    content = analyst_client.get(reverse("core:dashboard")).content.decode()
    assert f'href="{LIST}"' in content
