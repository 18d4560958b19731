"""The second login step, the TOTP setup with its QR code, and switching off."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from leitstelle.core.authentication import PENDING_LOGIN_KEY, TOTP_SETUP_KEY
from leitstelle.core.middleware import SESSION_EPOCH_KEY
from leitstelle.core.models import (
    AuditEvent,
    LoginAttempt,
    Organisation,
    Role,
    TwoFactorPolicy,
    User,
)
from tests.conftest import login_client
from tests.core.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the catalog says."""
    settings.LANGUAGE_CODE = "en"


LOGIN_URL = reverse("core:login")
CODE_URL = reverse("core:login_code")
SETUP_URL = reverse("core:two_factor_setup")


def post_password(client: Client, username: str, **fields: str):
    data = {"username": username, "password": PASSWORD, **fields}
    return client.post(LOGIN_URL, data)


def wrong_code(secret: str) -> str:
    """Return a code valid in none of the accepted time steps."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time() + offset) for offset in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def setup_secret(client: Client) -> str:
    return client.session[TOTP_SETUP_KEY]["secret"]


@pytest.fixture
def admin_without_totp(db) -> User:
    return UserFactory(username="newadmin", role=Role.ADMIN)


def test_it_asks_an_admin_with_totp_for_the_code(
    client: Client, admin_user: User
) -> None:
    """The right password alone does not log an admin in."""
    response = post_password(client, "admin")
    assert response.url == CODE_URL
    assert SESSION_KEY not in client.session
    assert client.session[PENDING_LOGIN_KEY]["user_id"] == admin_user.pk


def test_it_rotates_the_session_key_after_the_password(
    client: Client, admin_user: User
) -> None:
    """The pending login lives under a new session key."""
    client.get(LOGIN_URL)
    client.session.save()
    before = client.cookies["sessionid"].value
    post_password(client, "admin")
    assert client.cookies["sessionid"].value != before


def test_it_shows_an_accessible_code_form(client: Client, admin_user: User) -> None:
    """The code field suits one-time codes on phones and password managers."""
    post_password(client, "admin")
    content = client.get(CODE_URL).content.decode()
    assert 'autocomplete="one-time-code"' in content
    assert 'inputmode="numeric"' in content
    assert 'for="id_code"' in content


def test_it_logs_in_with_the_right_code(client: Client, admin_user: User) -> None:
    """Password plus current code log the admin in."""
    post_password(client, "admin")
    code = pyotp.TOTP(admin_user.totp_secret).now()
    response = client.post(CODE_URL, {"code": code})
    assert response.url == reverse("core:dashboard")
    assert client.session[SESSION_KEY] == str(admin_user.pk)
    assert client.session[SESSION_EPOCH_KEY] == admin_user.session_epoch
    assert PENDING_LOGIN_KEY not in client.session


def test_it_accepts_a_code_typed_with_a_space(client: Client, admin_user: User) -> None:
    """Apps show "123 456"; the space does not matter."""
    post_password(client, "admin")
    code = pyotp.TOTP(admin_user.totp_secret).now()
    client.post(CODE_URL, {"code": f"{code[:3]} {code[3:]}"})
    assert client.session[SESSION_KEY] == str(admin_user.pk)


def test_it_audits_a_login_with_code(client: Client, admin_user: User) -> None:
    """The audit entry records that a second factor was used."""
    post_password(client, "admin")
    client.post(CODE_URL, {"code": pyotp.TOTP(admin_user.totp_secret).now()})
    event = AuditEvent.objects.get(action="user.login")
    assert (event.actor, event.details) == (admin_user, {"two_factor": True})


def test_it_follows_next_after_the_code(client: Client, admin_user: User) -> None:
    """The `next` given at the password step is kept until the end."""
    post_password(client, "admin", next="/verwaltung/benutzer/")
    response = client.post(CODE_URL, {"code": pyotp.TOTP(admin_user.totp_secret).now()})
    assert response.url == "/verwaltung/benutzer/"


def test_it_refuses_a_wrong_code(client: Client, admin_user: User) -> None:
    """A wrong code shows an error and logs nobody in."""
    post_password(client, "admin")
    response = client.post(CODE_URL, {"code": wrong_code(admin_user.totp_secret)})
    assert "The code is not correct." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_links_the_code_error_to_the_field(client: Client, admin_user: User) -> None:
    """Screen readers announce the error together with the field."""
    post_password(client, "admin")
    response = client.post(CODE_URL, {"code": wrong_code(admin_user.totp_secret)})
    content = response.content.decode()
    assert 'aria-describedby="id_code_helptext id_code_error"' in content
    assert 'aria-invalid="true"' in content
    assert 'id="id_code_error"' in content


def test_it_counts_a_wrong_code_as_failure(client: Client, admin_user: User) -> None:
    """Wrong codes feed the lockout and the audit log."""
    post_password(client, "admin")
    client.post(CODE_URL, {"code": wrong_code(admin_user.totp_secret)})
    assert LoginAttempt.objects.filter(username="admin", success=False).count() == 1
    event = AuditEvent.objects.get(action="user.login_failed")
    assert (event.actor_label, event.details) == ("admin", {"reason": "code"})


def test_it_refuses_a_code_that_is_not_six_digits(
    client: Client, admin_user: User
) -> None:
    """Letters or too few digits are refused before any check."""
    post_password(client, "admin")
    response = client.post(CODE_URL, {"code": "12ab"})
    assert "Enter the six digits of the code." in response.content.decode()


def test_it_refuses_a_replayed_code(client: Client, admin_user: User) -> None:
    """A code that logged somebody in cannot be used a second time."""
    code = pyotp.TOTP(admin_user.totp_secret).now()
    post_password(client, "admin")
    client.post(CODE_URL, {"code": code})
    second = Client()
    post_password(second, "admin")
    response = second.post(CODE_URL, {"code": code})
    assert "The code is not correct." in response.content.decode()
    assert SESSION_KEY not in second.session


def test_it_lets_the_pending_login_expire(client: Client, admin_user: User) -> None:
    """After 5 minutes the password has to be entered again."""
    post_password(client, "admin")
    session = client.session
    session[PENDING_LOGIN_KEY] = {
        **session[PENDING_LOGIN_KEY],
        "started": session[PENDING_LOGIN_KEY]["started"] - 301,
    }
    session.save()
    code = pyotp.TOTP(admin_user.totp_secret).now()
    response = client.post(CODE_URL, {"code": code}, follow=True)
    assert response.redirect_chain[0][0] == LOGIN_URL
    assert "Your login took longer than 5 minutes." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_sends_the_code_step_without_password_to_login(client: Client, db) -> None:
    """The code page cannot be used without the password step."""
    response = client.get(CODE_URL)
    assert response.url == LOGIN_URL


def test_it_forgets_the_pending_login_of_a_deactivated_user(
    client: Client, admin_user: User
) -> None:
    """Deactivation between the two steps stops the login."""
    post_password(client, "admin")
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    response = client.post(CODE_URL, {"code": pyotp.TOTP(admin_user.totp_secret).now()})
    assert response.url == LOGIN_URL
    assert SESSION_KEY not in client.session


def test_it_sends_an_admin_without_totp_to_the_setup(
    client: Client, admin_without_totp: User
) -> None:
    """The first login of an admin leads to the QR code, not into the app."""
    response = post_password(client, "newadmin")
    assert response.url == SETUP_URL
    assert SESSION_KEY not in client.session


def test_it_shows_the_qr_code_as_svg(client: Client, admin_without_totp: User) -> None:
    """The setup page carries the QR code as inline SVG."""
    post_password(client, "newadmin")
    content = client.get(SETUP_URL).content.decode()
    assert '<div class="qr-code"><svg' in content
    assert 'class="qr"' in content


def test_it_renders_the_qr_code_without_style(
    client: Client, admin_without_totp: User
) -> None:
    """The CSP forbids inline style, so the SVG must not carry any."""
    post_password(client, "newadmin")
    content = client.get(SETUP_URL).content.decode()
    svg = content[content.index("<svg") : content.index("</svg>")]
    assert "style" not in svg


def test_it_shows_the_secret_in_blocks_of_four(
    client: Client, admin_without_totp: User
) -> None:
    """The key can be typed by hand, four characters at a time."""
    post_password(client, "newadmin")
    content = client.get(SETUP_URL).content.decode()
    secret = setup_secret(client)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in content


def test_it_keeps_the_secret_when_the_page_is_reloaded(
    client: Client, admin_without_totp: User
) -> None:
    """A reload does not invalidate what was already scanned."""
    post_password(client, "newadmin")
    client.get(SETUP_URL)
    secret = setup_secret(client)
    client.get(SETUP_URL)
    assert setup_secret(client) == secret


def test_it_logs_in_after_confirming_the_setup(
    client: Client, admin_without_totp: User
) -> None:
    """A valid code from the new secret confirms it and logs the admin in."""
    post_password(client, "newadmin")
    client.get(SETUP_URL)
    secret = setup_secret(client)
    response = client.post(SETUP_URL, {"code": pyotp.TOTP(secret).now()})
    assert response.url == reverse("core:dashboard")
    assert client.session[SESSION_KEY] == str(admin_without_totp.pk)
    admin_without_totp.refresh_from_db()
    assert admin_without_totp.has_two_factor
    assert admin_without_totp.totp_secret == secret


def test_it_audits_the_setup_and_the_login(
    client: Client, admin_without_totp: User
) -> None:
    """Both the new second factor and the login are audited."""
    post_password(client, "newadmin")
    client.get(SETUP_URL)
    client.post(SETUP_URL, {"code": pyotp.TOTP(setup_secret(client)).now()})
    actions = list(
        AuditEvent.objects.filter(actor=admin_without_totp)
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["user.two_factor_enabled", "user.login"]


def test_it_refuses_a_wrong_setup_code(
    client: Client, admin_without_totp: User
) -> None:
    """A wrong code keeps the secret unconfirmed and counts as failure."""
    post_password(client, "newadmin")
    client.get(SETUP_URL)
    response = client.post(SETUP_URL, {"code": wrong_code(setup_secret(client))})
    assert "The code is not correct." in response.content.decode()
    admin_without_totp.refresh_from_db()
    assert not admin_without_totp.has_two_factor
    assert LoginAttempt.objects.filter(username="newadmin", success=False).count() == 1


def test_it_sends_the_setup_page_without_login_to_login(client: Client, db) -> None:
    """Anonymous visitors without a pending login cannot set anything up."""
    response = client.get(SETUP_URL)
    assert response.url == LOGIN_URL


def test_it_logs_in_an_editor_directly_under_the_default_policy(
    client: Client, editor: User
) -> None:
    """Editors need no second factor unless the organisation says so."""
    response = post_password(client, "editor")
    assert response.url == reverse("core:dashboard")


def test_it_sends_an_editor_to_setup_when_everyone_needs_it(
    client: Client, editor: User
) -> None:
    """With the "everyone" policy an editor sets up TOTP at login."""
    Organisation.objects.update_or_create(
        pk=1, defaults={"two_factor_policy": TwoFactorPolicy.EVERYONE}
    )
    response = post_password(client, "editor")
    assert response.url == SETUP_URL


def test_it_lets_a_logged_in_user_set_up_totp_voluntarily(
    editor_client: Client, editor: User
) -> None:
    """From the account page an editor turns on the second factor."""
    editor_client.get(SETUP_URL)
    secret = setup_secret(editor_client)
    response = editor_client.post(
        f"{SETUP_URL}?next=/konto/", {"code": pyotp.TOTP(secret).now()}
    )
    assert response.url == "/konto/"
    editor.refresh_from_db()
    assert editor.has_two_factor
    assert AuditEvent.objects.get(action="user.two_factor_enabled").actor == editor


def test_it_refuses_a_wrong_code_of_a_logged_in_user(
    editor_client: Client, editor: User
) -> None:
    """The voluntary setup also needs a valid code."""
    editor_client.get(SETUP_URL)
    response = editor_client.post(
        SETUP_URL, {"code": wrong_code(setup_secret(editor_client))}
    )
    assert "The code is not correct." in response.content.decode()
    editor.refresh_from_db()
    assert not editor.has_two_factor


def test_it_sends_users_with_totp_from_the_setup_to_the_account(
    admin_client: Client,
) -> None:
    """An existing second factor is not replaced by opening the setup page."""
    response = admin_client.get(SETUP_URL)
    assert response.url == reverse("core:account")


def test_it_demands_setup_after_the_policy_changed(
    editor_client: Client, editor: User
) -> None:
    """A logged-in editor must set up TOTP once everyone needs it."""
    Organisation.objects.update_or_create(
        pk=1, defaults={"two_factor_policy": TwoFactorPolicy.EVERYONE}
    )
    assert editor_client.get(reverse("core:dashboard")).url == SETUP_URL
    editor_client.get(SETUP_URL)
    code = pyotp.TOTP(setup_secret(editor_client)).now()
    editor_client.post(SETUP_URL, {"code": code})
    assert editor_client.get(reverse("core:dashboard")).status_code == 200


def test_it_switches_totp_off_where_allowed(client: Client) -> None:
    """An editor may switch the second factor off with a current code."""
    user = UserFactory(username="careful", role=Role.EDITOR, with_totp=True)
    login_client(client, user)
    code = pyotp.TOTP(user.totp_secret).now()
    response = client.post(reverse("core:account"), {"disable-code": code})
    assert response.url == reverse("core:account")
    user.refresh_from_db()
    assert not user.has_two_factor
    assert AuditEvent.objects.get(action="user.two_factor_disabled").actor == user


def test_it_refuses_switching_off_with_a_wrong_code(client: Client) -> None:
    """Without the current code the second factor stays on."""
    user = UserFactory(username="careful", role=Role.EDITOR, with_totp=True)
    login_client(client, user)
    response = client.post(
        reverse("core:account"), {"disable-code": wrong_code(user.totp_secret)}
    )
    assert "The code is not correct." in response.content.decode()
    user.refresh_from_db()
    assert user.has_two_factor


def test_it_keeps_totp_on_where_the_role_requires_it(
    admin_client: Client, admin_user: User
) -> None:
    """An admin cannot switch the required second factor off."""
    code = pyotp.TOTP(admin_user.totp_secret).now()
    response = admin_client.post(
        reverse("core:account"), {"disable-code": code}, follow=True
    )
    assert "Your role requires two-factor login" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.has_two_factor
