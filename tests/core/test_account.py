"""The account page: profile, second factor, sessions and API tokens."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import ApiToken, AuditEvent, User
from tests.conftest import login_client
from tests.core.factories import PASSWORD, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT_URL = reverse("core:account")
CREATE_URL = reverse("core:create_api_token")


@pytest.fixture(autouse=True)
def english(settings) -> None:
    """Assert the English source texts, whatever the catalog says."""
    settings.LANGUAGE_CODE = "en"


def create_token(client: Client, name: str = "Statistik", password: str = PASSWORD):
    return client.post(CREATE_URL, {"name": name, "password": password})


def test_it_sends_anonymous_visitors_to_login(client: Client, db) -> None:
    """The account page needs a login."""
    response = client.get(ACCOUNT_URL)
    assert response.status_code == 302
    assert response.url == f"{reverse('core:login')}?next={ACCOUNT_URL}"


@pytest.mark.parametrize(
    "member", ["admin_user", "approver", "editor", "community_manager", "analyst"]
)
def test_it_is_open_to_every_role(
    client: Client, member: str, request: pytest.FixtureRequest
) -> None:
    """Each member manages their own account, whatever their role."""
    login_client(client, request.getfixturevalue(member))
    assert client.get(ACCOUNT_URL).status_code == 200


def test_it_shows_name_role_and_units(client: Client) -> None:
    """The profile lists what the organisation knows about the member."""
    user = UserFactory(username="kim", first_name="Kim", last_name="Berg")
    user.units.add(UnitFactory(name="Leipzig"))
    content = login_client(client, user).get(ACCOUNT_URL).content.decode()
    assert "Kim Berg" in content
    assert "Editor" in content
    assert "Leipzig" in content


def test_it_leaves_the_focus_alone(client: Client) -> None:
    """Of the account page's forms, none grabs the focus."""
    user = UserFactory(username="careful", with_totp=True)
    content = login_client(client, user).get(ACCOUNT_URL).content.decode()
    assert "autofocus" not in content


def test_it_lists_tokens_in_few_queries(
    editor_client: Client, editor: User, django_assert_max_num_queries
) -> None:
    """The token list costs the same for one token or many."""
    for number in range(10):
        ApiToken.objects.create(
            user=editor, name=f"t{number}", token_hash=f"{number:064}", prefix="lst_x"
        )
    with django_assert_max_num_queries(15):
        editor_client.get(ACCOUNT_URL)


def test_it_offers_the_setup_without_second_factor(editor_client: Client) -> None:
    """Without TOTP the page links to its setup."""
    content = editor_client.get(ACCOUNT_URL).content.decode()
    assert f"{reverse('core:two_factor_setup')}?next={ACCOUNT_URL}" in content


def test_it_offers_no_switch_off_where_required(admin_client: Client) -> None:
    """An admin's required second factor has no switch-off form."""
    content = admin_client.get(ACCOUNT_URL).content.decode()
    assert "Your role requires it." in content
    assert 'name="disable-code"' not in content


def test_it_offers_switching_off_where_allowed(client: Client) -> None:
    """An editor with voluntary TOTP can switch it off, after confirming."""
    user = UserFactory(username="careful", with_totp=True)
    content = login_client(client, user).get(ACCOUNT_URL).content.decode()
    assert 'name="disable-code"' in content
    assert 'data-confirm="Switch two-factor login off?"' in content


def test_it_confirms_logout_everywhere(editor_client: Client) -> None:
    """The button that ends all sessions asks before it does."""
    content = editor_client.get(ACCOUNT_URL).content.decode()
    assert 'data-confirm="Log out on all devices, this one included?"' in content


def test_it_shows_a_new_token_once(editor_client: Client) -> None:
    """The token is on the page after creation, and nowhere afterwards."""
    response = create_token(editor_client)
    value = response.context["value"]
    assert value.startswith("lst_")
    assert value in response.content.decode()
    assert value not in editor_client.get(ACCOUNT_URL).content.decode()


def test_it_keeps_the_new_token_out_of_caches(editor_client: Client) -> None:
    """The page showing the token must not be cached."""
    response = create_token(editor_client)
    assert "no-store" in response["Cache-Control"]


def test_it_creates_a_token_the_api_accepts(editor_client: Client) -> None:
    """The shown value works as a Bearer token for /api/v1."""
    value = create_token(editor_client).context["value"]
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {value}")
    assert response.status_code == 200
    assert response.json()["username"] == "editor"


def test_it_stores_only_the_hash_of_a_token(
    editor_client: Client, editor: User
) -> None:
    """The database holds the hash and a short prefix, not the token."""
    value = create_token(editor_client).context["value"]
    token = ApiToken.objects.get()
    assert token.user == editor
    assert token.token_hash == ApiToken.hash_token(value)
    assert token.prefix == value[:8]
    assert value not in {token.token_hash, token.prefix, token.name}


def test_it_audits_a_new_token_without_its_value(editor_client: Client) -> None:
    """The audit entry names the token, never its value."""
    value = create_token(editor_client).context["value"]
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.details == {"name": "Statistik", "prefix": value[:8]}
    assert value not in event.canonical_content().decode()


def test_it_lists_tokens_with_prefix(editor_client: Client) -> None:
    """The account page lists the token by name and first characters."""
    value = create_token(editor_client).context["value"]
    content = editor_client.get(ACCOUNT_URL).content.decode()
    assert "Statistik" in content
    assert f"<code>{value[:8]}…</code>" in content


def test_it_requires_the_password_for_a_new_token(editor_client: Client) -> None:
    """Without the right password no token is made (sudo mode)."""
    response = create_token(editor_client, password="falsch")
    assert response.status_code == 200
    assert "The password is not correct." in response.content.decode()
    assert 'value="Statistik"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_audits_a_wrong_confirmation_password(editor_client: Client) -> None:
    """A wrong password on a sensitive change is recorded."""
    create_token(editor_client, password="falsch")
    assert AuditEvent.objects.filter(
        action="user.password_confirmation_failed"
    ).exists()


def test_it_requires_a_token_name(editor_client: Client) -> None:
    """A token needs a name to be recognised later."""
    response = create_token(editor_client, name="")
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_lets_an_analyst_create_a_token(analyst_client: Client) -> None:
    """Read-only members may use the API too; it enforces their role."""
    create_token(analyst_client)
    assert ApiToken.objects.get().user.username == "analyst"


def test_it_refuses_token_creation_by_get(editor_client: Client) -> None:
    """Tokens are made only by a form submission."""
    assert editor_client.get(CREATE_URL).status_code == 405


def test_it_sends_anonymous_token_creation_to_login(client: Client, db) -> None:
    """Without a login there is no token."""
    response = create_token(client)
    assert response.url.startswith(reverse("core:login"))
    assert not ApiToken.objects.exists()


def test_it_revokes_a_token(editor_client: Client) -> None:
    """A revoked token is marked and disappears from the list."""
    create_token(editor_client)
    token = ApiToken.objects.get()
    url = reverse("core:revoke_api_token", args=[token.pk])
    response = editor_client.post(url, follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "is revoked and no longer works" in response.content.decode()
    assert f"{token.prefix}…" not in response.content.decode()


def test_it_makes_a_revoked_token_useless_for_the_api(
    editor_client: Client,
) -> None:
    """After revoking, the API refuses the token."""
    value = create_token(editor_client).context["value"]
    token = ApiToken.objects.get()
    editor_client.post(reverse("core:revoke_api_token", args=[token.pk]))
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {value}")
    assert response.status_code == 401


def test_it_audits_a_revoked_token(editor_client: Client, editor: User) -> None:
    """The audit log names who revoked which token."""
    create_token(editor_client)
    token = ApiToken.objects.get()
    editor_client.post(reverse("core:revoke_api_token", args=[token.pk]))
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert (event.actor, event.object_id) == (editor, str(token.pk))


def test_it_confirms_revoking(editor_client: Client) -> None:
    """The revoke button asks before it acts."""
    create_token(editor_client)
    content = editor_client.get(ACCOUNT_URL).content.decode()
    assert 'data-confirm="Revoke the token “Statistik”?' in content


def test_it_hides_other_users_tokens(editor_client: Client, analyst: User) -> None:
    """Revoking someone else's token is not found."""
    token = ApiToken.objects.create(
        user=analyst, name="fremd", token_hash="x" * 64, prefix="lst_abcd"
    )
    url = reverse("core:revoke_api_token", args=[token.pk])
    assert editor_client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_refuses_revoking_by_get(editor_client: Client, editor: User) -> None:
    """A link cannot revoke a token."""
    token = ApiToken.objects.create(
        user=editor, name="mein", token_hash="y" * 64, prefix="lst_efgh"
    )
    url = reverse("core:revoke_api_token", args=[token.pk])
    assert editor_client.get(url).status_code == 405
