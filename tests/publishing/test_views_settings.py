"""The publishing rules page: approvals per post type, approvers, watch list."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent
from leitstelle.publishing import services
from leitstelle.publishing.models import PublishingSettings
from tests.conftest import login_client
from tests.core.factories import UserFactory
from tests.publishing.factories import FakeChannelFactory, make_post

pytestmark = pytest.mark.django_db
URL = reverse("publishing:settings")


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def valid_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "approvals_report": "1",
        "approvals_prevention": "0",
        "approvals_recruitment": "1",
        "approvals_warning": "1",
        "approvals_manhunt": "2",
        "approver_roles": ["admin", "approver"],
        "watch_words": "",
    }
    data.update(changes)
    return data


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("core:login") in response["Location"]


@pytest.mark.parametrize("role", ["approver", "editor", "community", "analyst"])
def test_it_refuses_everyone_but_admins(client: Client, role: str) -> None:
    user = UserFactory(username=f"u-{role}", role=role, with_totp=True)
    login_client(client, user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, valid_data(approvals_report="0")).status_code == 403
    assert PublishingSettings.current().required_for("report") == 1


def test_it_shows_the_current_rules_and_explains_them(admin_client: Client) -> None:
    rules = PublishingSettings.current()
    rules.watch_words = ["Amoklauf", "Name des Opfers"]
    rules.save()
    response = admin_client.get(URL)
    assert response.status_code == 200
    page = response.text
    assert "The author never approves their own post" in page
    assert "Amoklauf\nName des Opfers</textarea>" in page
    assert 'name="approvals_manhunt"' in page
    assert '<option value="2" selected>' in page, "manhunt needs 2 by default"
    assert 'value="approver"' in page and 'value="admin"' in page
    assert 'value="editor"' not in page, "editors cannot approve at all"


def test_it_is_in_the_administration_menu(admin_client: Client) -> None:
    assert URL in admin_client.get(reverse("core:dashboard")).text


def test_it_hides_the_menu_entry_from_editors(editor_client: Client) -> None:
    assert URL not in editor_client.get(reverse("core:dashboard")).text


def test_it_saves_the_rules_and_writes_an_audit_event(
    admin_client: Client, admin_user: Any
) -> None:
    response = admin_client.post(
        URL,
        valid_data(
            approvals_report="0",
            approvals_warning="2",
            approver_roles=["approver"],
            watch_words="Amoklauf\r\n  name   des opfers \r\n\r\namoklauf\r\n",
        ),
        follow=True,
    )
    assert response.status_code == 200
    assert "The publishing rules have been saved." in response.text
    rules = PublishingSettings.current()
    assert rules.required_for("report") == 0
    assert rules.required_for("prevention") == 0
    assert rules.required_for("warning") == 2
    assert rules.required_for("manhunt") == 2
    assert rules.approver_roles == ["approver"]
    assert rules.watch_words == ["Amoklauf", "name des opfers"]
    event = AuditEvent.objects.get(action="publishing.settings_changed")
    assert event.actor == admin_user
    assert event.details["approver_roles"] == {
        "before": ["admin", "approver"],
        "after": ["approver"],
    }
    assert event.details["approvals_required"]["after"]["report"] == 0
    assert event.details["watch_words"]["after"] == ["Amoklauf", "name des opfers"]


def test_it_writes_no_event_when_nothing_changed(admin_client: Client) -> None:
    data = valid_data(approvals_prevention="1")
    admin_client.post(URL, data)
    assert not AuditEvent.objects.filter(action="publishing.settings_changed").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"approvals_report": "3"}, "Choose none, 1 or 2 approvals."),
        ({"approvals_manhunt": "-1"}, "Choose none, 1 or 2 approvals."),
        ({"approvals_warning": ""}, "Choose none, 1 or 2 approvals."),
        ({"approver_roles": []}, "Choose at least one role that may approve."),
        ({"approver_roles": ["editor"]}, "Select a valid choice."),
        ({"approver_roles": ["chief"]}, "Select a valid choice."),
        ({"watch_words": "x" * 101}, "Each line may be at most 100 characters"),
        (
            {"watch_words": "\n".join(f"Wort{n}" for n in range(501))},
            "The watch list may have at most 500 entries.",
        ),
    ],
)
def test_it_refuses_invalid_values_with_a_message(
    admin_client: Client, changes: dict[str, Any], message: str
) -> None:
    # A valid change next to the invalid one must not be saved either.
    response = admin_client.post(URL, {**valid_data(approvals_report="0"), **changes})
    assert response.status_code == 200
    assert "The rules were not saved." in response.text
    assert message in response.text
    rules = PublishingSettings.current()
    assert rules.required_for("report") == 1, "nothing was saved"
    assert rules.approver_roles == ["admin", "approver"]
    assert not AuditEvent.objects.filter(action="publishing.settings_changed").exists()


def test_the_service_refuses_non_admins(approver: Any) -> None:
    with pytest.raises(services.NotAllowed):
        services.update_settings(actor=approver, approvals_required={"report": 0})
    assert PublishingSettings.current().required_for("report") == 1


def test_the_watch_list_feeds_the_checks(admin_client: Client, editor: Any) -> None:
    post = make_post(
        [FakeChannelFactory()],
        author=editor,
        master_text="Nach dem Amoklauf in der Innenstadt bitten wir um Hinweise.",
    )
    assert not [f for f in services.findings(post) if f.code == "watch_word"]
    admin_client.post(URL, valid_data(watch_words="amoklauf\nGeiselnahme"))
    found = [f for f in services.findings(post) if f.code == "watch_word"]
    assert [f.excerpt for f in found] == ["Amoklauf"]
    assert [f.code for f in services.open_blockers(post)] == ["watch_word"]
    page = login_client(Client(), editor).get(
        reverse("publishing:checks", args=[post.pk])
    )
    assert "is on the organisation" in page.text
    assert "Amoklauf" in page.text


def test_fewer_approvals_take_effect_for_new_reviews(
    admin_client: Client, editor: Any
) -> None:
    admin_client.post(URL, valid_data(approvals_report="0"))
    post = services.create_post(
        author=editor, master_text="Die B6 ist wieder frei.", post_type="report"
    )
    assert services.approvals_needed(post) == 0


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_admin_changes_the_rules_in_the_browser(
    page: Any, live_server: Any, tmp_path: Any
) -> None:
    import pyotp
    from playwright.sync_api import expect

    from tests.core.factories import PASSWORD

    admin = UserFactory(username="leitung", role="admin", with_totp=True)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" else None,
    )
    page.goto(f"{live_server.url}/anmelden/")
    page.locator('input[name="username"]').fill("leitung")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator('input[name="code"]').fill(pyotp.TOTP(admin.totp_secret).now())
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.locator(f'nav a[href="{URL}"]').click()
    expect(page).to_have_url(f"{live_server.url}{URL}")
    page.screenshot(path=tmp_path / "rules-before.png", full_page=True)
    page.locator('select[name="approvals_report"]').select_option("2")
    page.locator('input[name="approver_roles"][value="admin"]').uncheck()
    page.locator('textarea[name="watch_words"]').fill("Amoklauf\nGeiselnahme")
    page.locator("main form button[type=submit]").click()

    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator('select[name="approvals_report"]')).to_have_value("2")
    page.screenshot(path=tmp_path / "rules-after.png", full_page=True)
    rules = PublishingSettings.current()
    assert rules.required_for("report") == 2
    assert rules.approver_roles == ["approver"]
    assert rules.watch_words == ["Amoklauf", "Geiselnahme"]
    assert problems == [], "no CSP violations or script errors"
