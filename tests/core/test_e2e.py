"""Browser tests: Playwright drives Debian's chromium against a live server."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from leitstelle.core.models import AuditEvent, Role, User
from tests.core.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in through the form, in whichever language the page is."""
    page.goto(f"{base_url}/anmelden/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")


def test_it_sets_up_the_second_factor_at_first_login(page: Page, live_server):
    UserFactory(username="leitung", role=Role.ADMIN, first_name="Dana")
    log_in(page, live_server.url, "leitung")

    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = re.sub(r"\s", "", page.locator(".secret").inner_text())
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Bestätigen").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Dana")
    expect(page.get_by_role("navigation", name="Hauptnavigation")).to_contain_text(
        "Protokoll"
    )
    user = User.objects.get(username="leitung")
    assert user.has_two_factor
    assert AuditEvent.objects.filter(
        action="user.two_factor_enabled", actor=user
    ).exists()


def test_it_asks_for_the_code_on_later_logins(page: Page, live_server):
    user = UserFactory(username="freigabe", role=Role.APPROVER, with_totp=True)
    log_in(page, live_server.url, "freigabe")

    page.get_by_label("Code").fill(pyotp.TOTP(user.totp_secret).now())
    page.get_by_role("button", name="Anmelden").click()

    expect(page).to_have_url(f"{live_server.url}/")


def test_it_refuses_an_analyst_the_user_administration(page: Page, live_server):
    UserFactory(username="analyse", role=Role.ANALYST)
    log_in(page, live_server.url, "analyse")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("navigation", name="Hauptnavigation")).not_to_contain_text(
        "Benutzer"
    )

    response = page.goto(f"{live_server.url}/verwaltung/benutzer/")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Zugriff verweigert")


def test_it_switches_the_interface_to_english(page: Page, live_server):
    UserFactory(username="redaktion", role=Role.EDITOR)
    log_in(page, live_server.url, "redaktion")

    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("navigation", name="Main navigation")).to_contain_text(
        "Overview"
    )
    expect(page.locator("html")).to_have_attribute("lang", "en")
