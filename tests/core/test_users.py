"""The users page: list, filters, editing, deactivation and 2FA reset."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent, Organisation, Role, User
from tests.conftest import login_client
from tests.core.factories import PASSWORD, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
USERS = reverse("core:users")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def client_factory() -> type[Client]:
    return Client


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).first()


def edit_url(user: User) -> str:
    return reverse("core:user_edit", args=[user.pk])


def user_urls(user: User) -> list[tuple[str, str]]:
    return [
        ("get", USERS),
        ("get", reverse("core:invite")),
        ("get", edit_url(user)),
        ("post", edit_url(user)),
        ("post", reverse("core:user_deactivate", args=[user.pk])),
        ("post", reverse("core:user_activate", args=[user.pk])),
        ("post", reverse("core:user_reset_two_factor", args=[user.pk])),
    ]


def test_it_sends_anonymous_visitors_to_the_login(client):
    for method, url in user_urls(UserFactory()):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("core:login")), url


@pytest.mark.parametrize("role_client", ["analyst_client", "editor_client"])
def test_it_refuses_other_roles(request, role_client):
    client = request.getfixturevalue(role_client)
    target = UserFactory(role=Role.EDITOR, with_totp=True)
    for method, url in user_urls(target):
        assert getattr(client, method)(url).status_code == 403, url
    target.refresh_from_db()
    assert target.is_active
    assert target.has_two_factor


def test_it_lists_users_with_role_units_and_status(admin_client):
    user = UserFactory(first_name="Kim", last_name="Berger", role=Role.APPROVER)
    user.units.add(UnitFactory(name="Dresden"))
    UserFactory(username="gone", is_active=False)
    response = admin_client.get(USERS)
    assert response.status_code == 200
    assert "Kim Berger" in response.text
    assert "Approver" in response.text
    assert "<td>Dresden</td>" in response.text
    assert 'class="status-badge inactive"' in response.text
    assert "never" in response.text


def test_it_filters_by_role(admin_client):
    UserFactory(username="anna", role=Role.ANALYST)
    UserFactory(username="eddie", role=Role.EDITOR)
    response = admin_client.get(USERS, {"role": "analyst"})
    usernames = [u.username for u in response.context["page"].object_list]
    assert usernames == ["anna"]


def test_it_filters_by_unit(admin_client):
    dresden = UnitFactory(name="Dresden")
    UserFactory(username="dora").units.add(dresden)
    UserFactory(username="lea").units.add(UnitFactory(name="Leipzig"))
    response = admin_client.get(USERS, {"unit": dresden.pk})
    assert [u.username for u in response.context["page"].object_list] == ["dora"]


def test_it_filters_by_status(admin_client):
    UserFactory(username="gone", is_active=False)
    response = admin_client.get(USERS, {"active": "no"})
    assert [u.username for u in response.context["page"].object_list] == ["gone"]


def test_it_ignores_an_unknown_filter_value(admin_client, admin_user):
    response = admin_client.get(USERS, {"role": "boss"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [admin_user]


def test_it_pages_25_users_and_keeps_the_filter(admin_client):
    for n in range(30):
        UserFactory(username=f"ed{n:02}", role=Role.EDITOR)
    response = admin_client.get(USERS, {"role": "editor"})
    assert len(response.context["page"].object_list) == 25
    assert "Page 1 of 2" in response.text
    assert 'href="?role=editor&amp;page=2"' in response.text
    second = admin_client.get(USERS, {"role": "editor", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_it_renders_only_the_results_for_htmx(admin_client):
    response = admin_client.get(USERS, {"role": "admin"}, **HTMX)
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="results">')
    assert "Open invitations" not in response.text


def test_it_lists_users_with_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    unit = UnitFactory(name="Dresden")
    for n in range(20):
        UserFactory(username=f"u{n:02}").units.add(unit)
    Organisation.current()
    with django_assert_max_num_queries(12):
        response = admin_client.get(USERS)
    assert response.status_code == 200


def test_it_shows_the_edit_form_with_current_values(admin_client):
    unit = UnitFactory(name="Dresden")
    user = UserFactory(first_name="Kim", email="kim@polizei.example")
    user.units.add(unit)
    response = admin_client.get(edit_url(user))
    assert 'value="kim@polizei.example"' in response.text
    assert f'value="{unit.pk}"' in response.text
    assert "checked" in response.text


def test_it_saves_names_role_and_units(admin_client, admin_user):
    unit = UnitFactory(name="Leipzig")
    user = UserFactory(role=Role.EDITOR)
    response = admin_client.post(
        edit_url(user),
        {
            "first_name": "Kim",
            "last_name": "Neu",
            "email": "kim.neu@polizei.example",
            "role": "approver",
            "units": [unit.pk],
            "current_password": PASSWORD,
        },
        follow=True,
    )
    assert "The changes have been saved." in response.text
    user.refresh_from_db()
    assert (user.last_name, user.role) == ("Neu", Role.APPROVER)
    assert list(user.units.all()) == [unit]
    role_event = last_event("user.role_changed")
    assert role_event.actor == admin_user
    assert role_event.details == {"role": {"before": "editor", "after": "approver"}}
    assert last_event("user.updated").details["units"] == {
        "before": [],
        "after": ["Leipzig"],
    }


def test_it_refuses_an_invalid_role_value(admin_client):
    user = UserFactory(role=Role.EDITOR)
    response = admin_client.post(
        edit_url(user), {"first_name": "X", "role": "superuser"}
    )
    assert "Select a valid choice. superuser is not one of the available choices." in (
        response.text
    )
    user.refresh_from_db()
    assert (user.first_name, user.role) == ("Kim", Role.EDITOR)
    assert not AuditEvent.objects.exists()


def test_it_refuses_an_invalid_email(admin_client):
    user = UserFactory()
    response = admin_client.post(edit_url(user), {"email": "nope", "role": "editor"})
    assert "Enter a valid email address." in response.text


def test_it_asks_for_the_password_before_changing_a_role(admin_client):
    user = UserFactory(role=Role.EDITOR)
    response = admin_client.post(edit_url(user), {"role": "admin"})
    assert "Enter your password to change the role." in response.text
    user.refresh_from_db()
    assert user.role == Role.EDITOR
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_role_change_with_a_wrong_password(admin_client, admin_user):
    user = UserFactory(role=Role.EDITOR)
    response = admin_client.post(
        edit_url(user), {"role": "admin", "current_password": "falsch"}
    )
    assert "The password is not correct." in response.text
    user.refresh_from_db()
    assert user.role == Role.EDITOR
    assert last_event("user.password_confirmation_failed").actor == admin_user


def test_it_changes_names_without_the_password(admin_client):
    user = UserFactory(role=Role.EDITOR)
    admin_client.post(edit_url(user), {"first_name": "Jo", "role": "editor"})
    user.refresh_from_db()
    assert user.first_name == "Jo"


def test_it_refuses_to_demote_the_last_admin(admin_client, admin_user):
    response = admin_client.post(
        edit_url(admin_user), {"role": "analyst", "current_password": PASSWORD}
    )
    assert "admin is the last active admin." in response.text
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN
    assert not AuditEvent.objects.exists()


def test_it_answers_404_for_an_unknown_user(admin_client):
    assert admin_client.get(reverse("core:user_edit", args=[9999])).status_code == 404


def test_it_deactivates_a_user(admin_client, admin_user):
    user = UserFactory(first_name="Kim", last_name="Berger")
    response = admin_client.post(
        reverse("core:user_deactivate", args=[user.pk]), follow=True
    )
    user.refresh_from_db()
    assert not user.is_active
    assert "Kim Berger has been deactivated and logged out everywhere." in response.text
    event = last_event("user.deactivated")
    assert (event.actor, event.object_id) == (admin_user, str(user.pk))


def test_it_ends_the_sessions_of_a_deactivated_user(admin_client, client_factory):
    user = UserFactory()
    their_client = login_client(client_factory(), user)
    assert their_client.get(reverse("core:dashboard")).status_code == 200
    admin_client.post(reverse("core:user_deactivate", args=[user.pk]))
    response = their_client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


def test_a_deactivated_user_cannot_log_in(admin_client, client_factory):
    user = UserFactory()
    admin_client.post(reverse("core:user_deactivate", args=[user.pk]))
    assert not client_factory().login(username=user.username, password=PASSWORD)


def test_it_refuses_to_deactivate_yourself(admin_client, admin_user):
    response = admin_client.post(
        reverse("core:user_deactivate", args=[admin_user.pk]), follow=True
    )
    assert "You cannot deactivate yourself." in response.text
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_it_deactivates_only_by_post(admin_client):
    user = UserFactory()
    response = admin_client.get(reverse("core:user_deactivate", args=[user.pk]))
    assert response.status_code == 405
    user.refresh_from_db()
    assert user.is_active


def test_it_activates_a_user(admin_client, admin_user):
    user = UserFactory(is_active=False, first_name="Kim", last_name="Berger")
    response = admin_client.post(
        reverse("core:user_activate", args=[user.pk]), follow=True
    )
    user.refresh_from_db()
    assert user.is_active
    assert "Kim Berger can log in again." in response.text
    assert last_event("user.activated").actor == admin_user


def test_it_offers_the_matching_action_for_the_status(admin_client):
    active, inactive = UserFactory(), UserFactory(is_active=False)
    deactivate = reverse("core:user_deactivate", args=[active.pk])
    assert deactivate in admin_client.get(edit_url(active)).text
    activate = reverse("core:user_activate", args=[inactive.pk])
    assert activate in admin_client.get(edit_url(inactive)).text


def test_it_asks_before_deactivating(admin_client):
    user = UserFactory(first_name="Kim", last_name="Berger")
    response = admin_client.get(edit_url(user))
    assert 'data-confirm="Deactivate Kim Berger?' in response.text


def test_it_resets_the_second_factor(admin_client, admin_user):
    user = UserFactory(with_totp=True, first_name="Kim", last_name="Berger")
    response = admin_client.post(
        reverse("core:user_reset_two_factor", args=[user.pk]), follow=True
    )
    user.refresh_from_db()
    assert not user.has_two_factor
    assert user.totp_secret == ""
    assert "The second factor of Kim Berger has been reset." in response.text
    assert last_event("user.two_factor_reset").actor == admin_user


def test_it_says_so_when_there_is_no_second_factor_to_reset(admin_client):
    user = UserFactory(first_name="Kim", last_name="Berger")
    response = admin_client.post(
        reverse("core:user_reset_two_factor", args=[user.pk]), follow=True
    )
    assert "Kim Berger has no second factor to reset." in response.text
    assert not AuditEvent.objects.exists()
