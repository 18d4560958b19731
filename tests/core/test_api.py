"""`/api/v1`: token auth, role checks and the same refusals as the UI."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leitstelle.core.audit import record_event
from leitstelle.core.models import ApiToken, AuditEvent, Role, Unit, User
from tests.core.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_token(user: User, *, revoked: bool = False) -> str:
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name="Skript",
        token_hash=ApiToken.hash_token(token),
        prefix=token[:8],
        revoked_at=timezone.now() if revoked else None,
    )
    return token


class Api:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, token: str | None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.cookies["leitstelle_language"] = "en"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, data: dict):
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(data),
            content_type="application/json",
            headers=self.headers,
        )

    def patch(self, path: str, data: dict):
        return self.client.patch(
            f"/api/v1{path}",
            json.dumps(data),
            content_type="application/json",
            headers=self.headers,
        )


@pytest.fixture
def admin_api(admin_user) -> Api:
    return Api(make_token(admin_user))


@pytest.fixture
def analyst_api(analyst) -> Api:
    return Api(make_token(analyst))


def test_it_refuses_a_call_without_token():
    response = Api(None).get("/me")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Send a valid API token as “Authorization: Bearer <token>”."
    }
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_refuses_an_unknown_token(admin_user):
    make_token(admin_user)
    assert Api("not-a-token").get("/me").status_code == 401


def test_it_refuses_a_revoked_token(admin_user):
    assert Api(make_token(admin_user, revoked=True)).get("/me").status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user():
    user = UserFactory(is_active=False)
    assert Api(make_token(user)).get("/me").status_code == 401


def test_it_tells_who_the_token_belongs_to(analyst):
    analyst.units.add(UnitFactory(name="Dresden"))
    response = Api(make_token(analyst)).get("/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "analyst"
    assert body["name"] == analyst.get_full_name()
    assert body["role"] == "analyst"
    assert [unit["name"] for unit in body["units"]] == ["Dresden"]


def test_it_notes_when_a_token_was_last_used(admin_api):
    admin_api.get("/me")
    assert ApiToken.objects.get().last_used_at is not None


def test_it_writes_last_used_at_most_once_a_minute(admin_api):
    recently = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.update(last_used_at=recently)
    admin_api.get("/me")
    assert ApiToken.objects.get().last_used_at == recently
    ApiToken.objects.update(last_used_at=recently - timedelta(minutes=1))
    admin_api.get("/me")
    assert ApiToken.objects.get().last_used_at > recently


def test_it_lists_units_to_every_role(analyst_api):
    UnitFactory(name="Leipzig")
    UnitFactory(name="Dresden")
    response = analyst_api.get("/units")
    assert [unit["name"] for unit in response.json()] == ["Dresden", "Leipzig"]


def test_it_refuses_adding_a_unit_to_an_analyst(analyst_api):
    response = analyst_api.post("/units", {"name": "Dresden"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this."}
    assert not Unit.objects.exists()


def test_it_adds_a_unit_for_an_admin_without_csrf_token(admin_api, admin_user):
    response = admin_api.post("/units", {"name": "Dresden"})
    assert response.status_code == 201
    assert response.json()["name"] == "Dresden"
    event = AuditEvent.objects.get(action="unit.created")
    assert event.actor == admin_user
    assert event.address == "127.0.0.1"


def test_it_refuses_a_duplicate_unit_with_409(admin_api):
    UnitFactory(name="Dresden")
    response = admin_api.post("/units", {"name": "dresden"})
    assert response.status_code == 409
    assert response.json() == {"detail": "A unit named “dresden” exists already."}


def test_it_refuses_an_empty_unit_name_with_400(admin_api):
    response = admin_api.post("/units", {"name": " "})
    assert response.status_code == 400
    assert response.json() == {"detail": "The unit needs a name."}


def test_it_refuses_the_user_list_to_an_analyst(analyst_api):
    assert analyst_api.get("/users").status_code == 403


def test_it_lists_users_page_by_page(admin_api):
    for n in range(4):
        UserFactory(username=f"u{n}")
    response = admin_api.get("/users", limit=2, offset=1)
    body = response.json()
    assert body["count"] == 5
    assert [user["username"] for user in body["items"]] == ["u0", "u1"]
    assert body["items"][0]["is_active"] is True


def test_it_changes_a_role(admin_api, admin_user):
    user = UserFactory(role=Role.EDITOR)
    response = admin_api.patch(f"/users/{user.pk}", {"role": "approver"})
    assert response.status_code == 200
    assert response.json()["role"] == "approver"
    event = AuditEvent.objects.get(action="user.role_changed")
    assert event.actor == admin_user
    assert event.details == {"role": {"before": "editor", "after": "approver"}}


def test_it_refuses_an_unknown_role_with_400(admin_api):
    user = UserFactory(role=Role.EDITOR)
    response = admin_api.patch(f"/users/{user.pk}", {"role": "boss"})
    assert response.status_code == 400
    assert response.json() == {"detail": "“boss” is not a role."}


def test_it_refuses_to_demote_the_last_admin_with_409(admin_api, admin_user):
    response = admin_api.patch(f"/users/{admin_user.pk}", {"role": "editor"})
    assert response.status_code == 409
    assert "last active admin" in response.json()["detail"]
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_it_sets_units_by_id(admin_api):
    user = UserFactory()
    unit = UnitFactory(name="Leipzig")
    response = admin_api.patch(f"/users/{user.pk}", {"units": [unit.pk]})
    assert [u["name"] for u in response.json()["units"]] == ["Leipzig"]
    assert list(user.units.all()) == [unit]


def test_it_applies_nothing_when_one_change_fails(admin_api):
    user = UserFactory(role=Role.EDITOR)
    response = admin_api.patch(f"/users/{user.pk}", {"role": "analyst", "units": [999]})
    assert response.status_code == 400
    assert response.json() == {"detail": "There is no unit with the id(s) 999."}
    user.refresh_from_db()
    assert user.role == Role.EDITOR
    assert not AuditEvent.objects.filter(action="user.role_changed").exists()


def test_it_deactivates_a_user(admin_api):
    user = UserFactory()
    response = admin_api.patch(f"/users/{user.pk}", {"is_active": False})
    assert response.json()["is_active"] is False
    user.refresh_from_db()
    assert not user.is_active
    assert AuditEvent.objects.filter(action="user.deactivated").exists()


def test_it_refuses_to_deactivate_the_caller(admin_api, admin_user):
    response = admin_api.patch(f"/users/{admin_user.pk}", {"is_active": False})
    assert response.status_code == 409
    assert response.json() == {"detail": "You cannot deactivate yourself."}


def test_it_answers_404_for_an_unknown_user(admin_api):
    response = admin_api.patch("/users/9999", {"role": "editor"})
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no user with the id 9999."}


def test_it_refuses_changing_users_to_an_analyst(analyst_api):
    user = UserFactory(role=Role.EDITOR)
    response = analyst_api.patch(f"/users/{user.pk}", {"role": "admin"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.role == Role.EDITOR


def test_it_refuses_the_audit_log_to_an_analyst(analyst_api):
    assert analyst_api.get("/audit").status_code == 403
    assert analyst_api.get("/audit/verify").status_code == 403


def test_it_reads_the_audit_log_newest_first_with_keyset_pages(admin_api):
    for n in range(5):
        record_event(action="user.login", details={"n": n})
    first = admin_api.get("/audit", limit=2).json()
    assert [item["sequence"] for item in first["items"]] == [5, 4]
    assert first["next_before"] == 4
    last = admin_api.get("/audit", limit=2, before=2).json()
    assert [item["sequence"] for item in last["items"]] == [1]
    assert last["next_before"] is None


def test_it_filters_the_audit_log(admin_api, admin_user):
    record_event(action="user.login", actor=admin_user)
    record_event(action="unit.created", target=UnitFactory(name="Dresden"))
    items = admin_api.get("/audit", action="unit.created").json()["items"]
    assert [(i["action"], i["object_label"], i["actor"]) for i in items] == [
        ("unit.created", "Dresden", "system")
    ]


def test_it_verifies_the_chain(admin_api):
    for n in range(3):
        record_event(action="user.login", details={"n": n})
    assert admin_api.get("/audit/verify").json() == {
        "ok": True,
        "checked": 3,
        "broken_sequence": None,
        "reason": "",
    }


def test_it_documents_the_api_as_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/me",
        "/api/v1/units",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/audit",
        "/api/v1/audit/verify",
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"


def test_it_serves_the_docs_without_outside_scripts(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "cdn." not in response.text
    assert "/static/ninja/swagger-ui-bundle.js" in response.text
