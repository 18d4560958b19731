"""Every page of the shell passes axe-core's accessibility rules."""

from __future__ import annotations

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from leitstelle.core.models import Role
from tests.core.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/verwaltung/organisation/",
    "/verwaltung/benutzer/",
    "/verwaltung/benutzer/einladen/",
    "/verwaltung/protokoll/",
    "/konto/",
    "/kanaele/",
    "/kanaele/neu/",
    "/uebungsnetz/",
]


def violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url}: {item['id']} ({item['impact']}): {item['help']}"
        for item in results.response["violations"]
        if item["impact"] in {"serious", "critical"}
    ]


def test_it_has_an_accessible_login_page(page: Page, live_server):
    page.goto(f"{live_server.url}/anmelden/")
    assert violations(page) == []


def test_it_has_accessible_pages_after_login(page: Page, live_server):
    admin = UserFactory(username="leitung", role=Role.ADMIN, with_totp=True)
    page.goto(f"{live_server.url}/anmelden/")
    page.get_by_label("Benutzername").fill("leitung")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_label("Code").fill(pyotp.TOTP(admin.totp_secret).now())
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{live_server.url}/")

    found = []
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        found += violations(page)

    assert found == []


def test_it_notices_an_unlabelled_field(page: Page, live_server):
    """The check itself works: a field without a label is reported."""
    page.goto(f"{live_server.url}/anmelden/")
    page.evaluate(
        "document.querySelector('main').append(document.createElement('input'))"
    )
    assert any("label" in finding for finding in violations(page))
