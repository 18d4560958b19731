"""The UI shell: language, security headers, navigation and the start page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from leitstelle.core.middleware import SESSION_EPOCH_KEY
from leitstelle.core.models import User

pytestmark = pytest.mark.django_db


def test_it_speaks_german_by_default(admin_client):
    response = admin_client.get(reverse("core:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "de"
    assert "Übersicht" in response.content.decode()


def test_it_switches_to_english(admin_client):
    response = admin_client.post(
        reverse("set_language"), {"language": "en", "next": "/"}, follow=True
    )
    assert admin_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Overview" in response.content.decode()


def test_it_ignores_an_unknown_language_cookie(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    response = admin_client.get(reverse("core:dashboard"))
    assert response["Content-Language"] == "de"


def test_it_sends_a_strict_content_security_policy(client):
    response = client.get(reverse("core:login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_it_has_no_inline_script_or_style(admin_client):
    html = admin_client.get(reverse("core:dashboard")).content.decode()
    assert "<script>" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert " onclick=" not in html


def test_it_wires_in_htmx_from_our_own_origin(admin_client):
    html = admin_client.get(reverse("core:dashboard")).content.decode()
    assert 'src="/static/django_htmx/htmx-2.min.js"' in html


def test_it_redirects_anonymous_users_to_login(client):
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_it_shows_administration_to_admins(admin_client):
    html = admin_client.get(reverse("core:dashboard")).content.decode()
    assert reverse("core:users") in html
    assert reverse("core:audit") in html


def test_it_hides_administration_from_analysts(analyst_client):
    html = analyst_client.get(reverse("core:dashboard")).content.decode()
    assert reverse("core:users") not in html
    assert reverse("core:audit") not in html


def test_it_ends_sessions_from_an_older_epoch(admin_client, admin_user):
    User.objects.filter(pk=admin_user.pk).update(
        session_epoch=admin_user.session_epoch + 1
    )
    response = admin_client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert SESSION_EPOCH_KEY not in admin_client.session


def test_it_sends_privileged_users_without_second_factor_to_setup(client, db):
    from tests.conftest import login_client
    from tests.core.factories import UserFactory

    admin = UserFactory(username="newadmin", role="admin")
    response = login_client(client, admin).get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:two_factor_setup")
