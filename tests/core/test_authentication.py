"""The services behind login, second factor, tokens and invitations."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from leitstelle.core import authentication
from leitstelle.core.authentication import (
    InvalidCode,
    InvitationUnusable,
    LoginRefused,
    TwoFactorRequired,
    WrongPassword,
)
from leitstelle.core.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    LoginAttempt,
    Role,
    User,
)
from tests.core.factories import PASSWORD, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "service-invitation-token"


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the catalog says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def request_from(rf: RequestFactory):
    def build(address: str = "10.0.0.1"):
        request = rf.post("/anmelden/", REMOTE_ADDR=address)
        request.user = AnonymousUser()
        return request

    return build


def make_invitation(admin: User, **fields: object) -> Invitation:
    defaults = {
        "token_hash": Invitation.hash_token(TOKEN),
        "role": Role.COMMUNITY,
        "email": "cm@polizei.example",
        "created_by": admin,
        "expires_at": timezone.now() + timedelta(days=1),
    }
    return Invitation.objects.create(**{**defaults, **fields})


def accept(**fields: str) -> User:
    values = {
        "token": TOKEN,
        "username": "neu",
        "password": "Sonnen-Blumen-Feld-9",
        "first_name": "Rio",
        "last_name": "Neu",
        **fields,
    }
    return authentication.accept_invitation(**values)


def test_it_returns_the_user_for_the_right_password(editor: User) -> None:
    """The password check hands back the member."""
    user = authentication.check_password(
        username="editor", password=PASSWORD, request=None
    )
    assert user == editor


def test_it_raises_with_the_reason_for_a_wrong_password(editor: User) -> None:
    """The exception carries the reason written to the audit log."""
    with pytest.raises(LoginRefused) as caught:
        authentication.check_password(username="editor", password="x", request=None)
    assert caught.value.reason == "password"


def test_it_locks_at_the_user_limit(editor: User, settings, request_from) -> None:
    """The failure that reaches the limit raises the lockout."""
    settings.LOGIN_MAX_FAILURES_PER_USER = 2
    for _number in range(2):
        with pytest.raises(LoginRefused) as caught:
            authentication.check_password(
                username="editor", password="x", request=request_from()
            )
    assert caught.value.reason == "locked"
    assert authentication.is_locked_out(username="editor", request=request_from())


def test_it_ignores_failures_outside_the_window(editor: User, settings) -> None:
    """Old failures no longer count."""
    settings.LOGIN_MAX_FAILURES_PER_USER = 1
    old = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)
    LoginAttempt.objects.create(username="editor", created_at=old)
    assert not authentication.is_locked_out(username="editor", request=None)


def test_it_locks_an_address_without_a_username(settings, request_from, db) -> None:
    """Failures of many usernames add up per address."""
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 2
    for name in ("a", "b"):
        LoginAttempt.objects.create(username=name, address="10.0.0.1")
    assert authentication.is_locked_out(username="c", request=request_from())
    assert not authentication.is_locked_out(
        username="c", request=request_from("10.0.0.2")
    )


def test_it_accepts_a_current_code(admin_user: User) -> None:
    """A code of the current time step is valid."""
    code = pyotp.TOTP(admin_user.totp_secret).now()
    assert authentication.verify_totp(user=admin_user, code=code)


def test_it_accepts_a_code_one_step_old(admin_user: User) -> None:
    """Clocks drift: the previous step's code still counts."""
    code = pyotp.TOTP(admin_user.totp_secret).at(time.time() - 30)
    assert authentication.verify_totp(user=admin_user, code=code)


def test_it_refuses_a_code_two_steps_old(admin_user: User) -> None:
    """Older codes are no longer valid."""
    totp = pyotp.TOTP(admin_user.totp_secret)
    old = totp.at(time.time() - 60)
    recent = {totp.at(time.time() + offset) for offset in (-30, 0, 30)}
    if old in recent:
        pytest.skip("the old code happens to equal a current one")
    assert not authentication.verify_totp(user=admin_user, code=old)


def test_it_refuses_the_same_code_twice(admin_user: User) -> None:
    """A used time step cannot be used again."""
    code = pyotp.TOTP(admin_user.totp_secret).now()
    authentication.verify_totp(user=admin_user, code=code)
    fresh = User.objects.get(pk=admin_user.pk)
    assert not authentication.verify_totp(user=fresh, code=code)


def test_it_refuses_an_older_step_after_a_newer_one(admin_user: User) -> None:
    """Once a newer code was used, older ones are dead too."""
    totp = pyotp.TOTP(admin_user.totp_secret)
    authentication.verify_totp(user=admin_user, code=totp.now())
    previous = totp.at(time.time() - 30)
    assert not authentication.verify_totp(user=admin_user, code=previous)


def test_it_refuses_codes_without_a_secret(editor: User) -> None:
    """A member without TOTP has no valid code."""
    assert not authentication.verify_totp(user=editor, code="123456")


def test_it_makes_an_svg_qr_code_without_style(admin_user: User) -> None:
    """The QR code is plain SVG markup the CSP allows."""
    svg = authentication.totp_qr_svg(
        user=admin_user, secret=pyotp.random_base32(), title="QR <code>"
    )
    assert svg.startswith("<svg")
    assert "style" not in svg
    assert "<title>QR &lt;code&gt;</title>" in svg


def test_it_refuses_to_disable_a_required_factor(admin_user: User, rf) -> None:
    """Policy beats preference."""
    code = pyotp.TOTP(admin_user.totp_secret).now()
    with pytest.raises(TwoFactorRequired):
        authentication.disable_two_factor(
            user=admin_user, code=code, request=rf.post("/")
        )


def test_it_refuses_to_disable_with_a_wrong_code(rf) -> None:
    """Switching off needs a current code."""
    user = UserFactory(username="careful", with_totp=True)
    with pytest.raises(InvalidCode):
        authentication.disable_two_factor(
            user=user, code="abcdef", request=rf.post("/")
        )


def test_it_creates_a_token_with_prefix(editor: User) -> None:
    """The token value starts with the recognisable prefix."""
    token, value = authentication.create_api_token(
        user=editor, name="Skript", password=PASSWORD
    )
    assert value.startswith("lst_")
    assert len(value) > 40
    assert token.token_hash == ApiToken.hash_token(value)


def test_it_refuses_a_token_with_the_wrong_password(editor: User) -> None:
    """Sudo mode: no token without the password."""
    with pytest.raises(WrongPassword):
        authentication.create_api_token(user=editor, name="Skript", password="x")
    assert not ApiToken.objects.exists()


def test_it_counts_wrong_confirmation_passwords(editor: User) -> None:
    """Guessing through the token form feeds the lockout."""
    with pytest.raises(WrongPassword):
        authentication.create_api_token(user=editor, name="Skript", password="x")
    assert LoginAttempt.objects.filter(username="editor", success=False).count() == 1


def test_it_revokes_a_token_once(editor: User) -> None:
    """Revoking twice writes one audit entry."""
    token, _value = authentication.create_api_token(
        user=editor, name="Skript", password=PASSWORD
    )
    authentication.revoke_api_token(token=token, actor=editor)
    authentication.revoke_api_token(token=token, actor=editor)
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_it_accepts_an_invitation(admin_user: User) -> None:
    """The invitee becomes a member with the invited role and units."""
    invitation = make_invitation(admin_user)
    invitation.units.add(UnitFactory(name="Chemnitz"))
    user = accept()
    assert (user.role, user.email, user.get_full_name()) == (
        Role.COMMUNITY,
        "cm@polizei.example",
        "Rio Neu",
    )
    assert list(user.units.values_list("name", flat=True)) == ["Chemnitz"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"revoked_at": timezone.now()}, "revoked"),
    ],
)
def test_it_names_why_an_invitation_is_unusable(
    admin_user: User, fields: dict, reason: str
) -> None:
    """Expired and revoked invitations raise with their reason."""
    make_invitation(admin_user, **fields)
    with pytest.raises(InvitationUnusable) as caught:
        accept()
    assert caught.value.reason == reason


def test_it_refuses_a_used_invitation(admin_user: User) -> None:
    """An invitation makes one account."""
    make_invitation(admin_user)
    accept()
    with pytest.raises(InvitationUnusable) as caught:
        accept(username="zwei")
    assert caught.value.reason == "used"


def test_it_refuses_an_unknown_invitation(db) -> None:
    """A token without invitation is "unknown"."""
    with pytest.raises(InvitationUnusable) as caught:
        accept()
    assert caught.value.reason == "unknown"


def test_it_reports_all_problems_of_the_new_account(
    admin_user: User, editor: User
) -> None:
    """Username and password errors come back together, per field."""
    make_invitation(admin_user)
    with pytest.raises(ValidationError) as caught:
        accept(username="Editor", password="123")
    errors = caught.value.message_dict
    assert errors["username"] == ["This username is taken. Choose another one."]
    assert (
        "This password is too short. It must contain at least 12 characters."
        in (errors["password"])
    )
    assert not Invitation.objects.get().accepted_by
