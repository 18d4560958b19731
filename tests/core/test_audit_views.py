"""The audit log page and its CSV export; entries cannot be changed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.audit import record_event
from leitstelle.core.models import (
    AppendOnlyError,
    AuditEvent,
    Organisation,
    Role,
    Unit,
)
from leitstelle.core.permissions import ROLE_PERMISSIONS, Perm
from tests.core.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
AUDIT = reverse("core:audit")
EXPORT = reverse("core:audit_export")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def make_events(count: int, action: str = "user.login") -> list[AuditEvent]:
    return [record_event(action=action, details={"n": n}) for n in range(count)]


def shown_sequences(response) -> list[int]:
    return [row.event.sequence for row in response.context["rows"]]


def exported_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("url", [AUDIT, EXPORT])
def test_it_sends_anonymous_visitors_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


@pytest.mark.parametrize("role_client", ["analyst_client", "editor_client"])
@pytest.mark.parametrize("url", [AUDIT, EXPORT])
def test_it_refuses_other_roles(request, role_client, url):
    client = request.getfixturevalue(role_client)
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.parametrize("url", [AUDIT, EXPORT])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_it_offers_no_way_to_change_entries(admin_client, url, method):
    make_events(1)
    response = getattr(admin_client, method)(url)
    assert response.status_code == 405
    assert AuditEvent.objects.count() == 1


def test_it_refuses_to_save_an_existing_entry():
    (event,) = make_events(1)
    event.action = "user.logout"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_it_refuses_to_update_entries_in_bulk():
    make_events(2)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(action="user.login").update(action="x")
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"user.login"}


def test_it_refuses_to_delete_entries():
    (event,) = make_events(1)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.count() == 1


def test_it_has_no_django_admin(admin_client):
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert admin_client.get("/admin/").status_code == 404


def test_it_lists_the_newest_entries_first(admin_client):
    make_events(3)
    response = admin_client.get(AUDIT)
    assert response.status_code == 200
    assert shown_sequences(response) == [3, 2, 1]


def test_it_shows_a_readable_row(admin_client, admin_user):
    user = UserFactory(username="kim", first_name="Kim", last_name="Berger")
    record_event(
        action="user.role_changed",
        actor=admin_user,
        target=user,
        details={"role": {"before": "editor", "after": "approver"}},
    )
    response = admin_client.get(AUDIT)
    assert "Changed a role" in response.text
    assert 'title="user.role_changed"' in response.text
    assert "Kim Berger" in response.text
    assert '<span class="object-type">user</span>' in response.text
    assert "role: editor → approver" in response.text


def test_it_shows_the_short_hash_with_the_full_hash_as_title(admin_client):
    (event,) = make_events(1)
    response = admin_client.get(AUDIT)
    assert f'<code title="{event.hash}">{event.hash[:12]}</code>' in response.text


def test_it_falls_back_to_the_action_code(admin_client):
    record_event(action="manhunt.published")
    response = admin_client.get(AUDIT)
    assert response.context["rows"][0].action_label == "manhunt.published"


def test_it_shows_the_time_in_berlin(admin_client, monkeypatch):
    winter = datetime(2026, 1, 15, 11, 0, 5, tzinfo=UTC)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: winter)
        record_event(action="user.login")
    response = admin_client.get(AUDIT)
    assert "01/15/2026 12:00:05" in response.text


def test_it_escapes_labels_and_details(admin_client):
    record_event(action="x", details={"note": "<script>alert(1)</script>"})
    response = admin_client.get(AUDIT)
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_it_filters_by_action_from_the_actions_present(admin_client):
    make_events(2, "user.login")
    make_events(1, "unit.created")
    response = admin_client.get(AUDIT, {"action": "unit.created"})
    assert [r.event.action for r in response.context["rows"]] == ["unit.created"]
    choices = dict(response.context["form"].fields["action"].choices)
    assert set(choices) == {"", "user.login", "unit.created"}
    assert choices["unit.created"] == "Added a unit"


def test_it_filters_by_actor(admin_client, admin_user):
    record_event(action="user.login", actor=admin_user)
    record_event(action="user.login_failed", actor_label="mallory")
    response = admin_client.get(AUDIT, {"actor": "mallory"})
    assert [r.event.actor_label for r in response.context["rows"]] == ["mallory"]


def test_it_filters_by_object_type_and_label(admin_client):
    record_event(action="unit.created", target=UnitFactory(name="Dresden"))
    record_event(action="unit.created", target=UnitFactory(name="Leipzig"))
    record_event(action="user.updated", target=UserFactory(username="dresdner"))
    response = admin_client.get(AUDIT, {"object_type": "core.unit", "text": "dres"})
    assert [r.event.object_label for r in response.context["rows"]] == ["Dresden"]


def test_it_filters_by_date(admin_client, monkeypatch):
    for day in (1, 2, 3):
        with monkeypatch.context() as patch:
            moment = datetime(2026, 3, day, 12, tzinfo=UTC)
            patch.setattr(timezone, "now", lambda moment=moment: moment)
            record_event(action="user.login", details={"day": day})
    response = admin_client.get(
        AUDIT, {"date_from": "2026-03-02", "date_to": "2026-03-02"}
    )
    assert [r.event.details for r in response.context["rows"]] == [{"day": 2}]


def test_it_explains_a_reversed_date_range(admin_client):
    response = admin_client.get(
        AUDIT, {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert "The end date lies before the start date." in response.text


def test_it_says_when_nothing_matches(admin_client):
    response = admin_client.get(AUDIT, {"text": "nothing"})
    assert "No entries match these filters." in response.text


def test_it_renders_only_the_results_for_htmx(admin_client):
    make_events(1)
    response = admin_client.get(AUDIT, {"action": "user.login"}, **HTMX)
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="results">')
    assert "HX-Request" in response["Vary"]


def test_it_pages_50_entries_by_sequence(admin_client):
    make_events(120)
    first = admin_client.get(AUDIT)
    assert shown_sequences(first) == list(range(120, 70, -1))
    assert 'href="?before=71"' in first.text
    assert "Newer entries" not in first.text
    second = admin_client.get(AUDIT, {"before": 71})
    assert shown_sequences(second) == list(range(70, 20, -1))
    assert 'href="?after=70"' in second.text
    last = admin_client.get(AUDIT, {"before": 21})
    assert shown_sequences(last) == list(range(20, 0, -1))
    assert "Older entries" not in last.text


def test_it_pages_back_to_newer_entries(admin_client):
    make_events(120)
    response = admin_client.get(AUDIT, {"after": 20})
    assert shown_sequences(response) == list(range(70, 20, -1))
    assert 'href="?after=70"' in response.text
    assert 'href="?before=21"' in response.text


def test_it_keeps_the_filters_when_paging(admin_client):
    make_events(60, "user.login")
    make_events(5, "unit.created")
    response = admin_client.get(AUDIT, {"action": "user.login"})
    assert len(response.context["rows"]) == 50
    assert 'href="?action=user.login&amp;before=11"' in response.text


def test_it_lists_with_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    unit = Unit.objects.create(name="Dresden")
    for n in range(60):
        record_event(action="unit.renamed", target=unit, details={"n": n})
    Organisation.current()
    # 11: one of them is the navigation's inbox count (one query per page).
    with django_assert_max_num_queries(11):
        response = admin_client.get(AUDIT, {"before": 55, "action": "unit.renamed"})
    assert len(response.context["rows"]) == 50


def test_it_exports_csv_with_a_header_and_rows(admin_client, admin_user):
    unit = UnitFactory(name="Dresden")
    event = record_event(
        action="unit.created",
        actor=admin_user,
        target=unit,
        details={"name": "Dresden"},
    )
    response = admin_client.get(EXPORT)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="leitstelle-audit-'
    )
    header, row, export_row = exported_rows(response)
    assert header == [
        "sequence",
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "details",
        "address",
        "prev_hash",
        "hash",
    ]
    assert row == [
        str(event.sequence),
        event.created_at.astimezone(UTC).isoformat(),
        "admin",
        "unit.created",
        "core.unit",
        str(unit.pk),
        "Dresden",
        '{"name": "Dresden"}',
        "",
        event.prev_hash,
        event.hash,
    ]
    assert export_row[3] == "audit.exported"


def test_it_guards_csv_cells_against_formulas(admin_client):
    for label in ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "harmless"]:
        record_event(action="user.login_failed", actor_label=label)
    rows = exported_rows(admin_client.get(EXPORT))
    actors = [row[2] for row in rows[1:-1]]
    assert actors == ["'=HYPERLINK(1)", "'+1", "'-1", "'@SUM(A1)", "harmless"]


def test_it_exports_only_what_the_filters_match(admin_client):
    make_events(3, "user.login")
    make_events(2, "unit.created")
    rows = exported_rows(admin_client.get(EXPORT, {"action": "unit.created"}))
    assert [row[3] for row in rows[1:]] == ["unit.created", "unit.created"]


def test_it_exports_in_batches_in_sequence_order(admin_client, monkeypatch):
    monkeypatch.setattr("leitstelle.core.views.audit.EXPORT_BATCH", 7)
    make_events(20)
    rows = exported_rows(admin_client.get(EXPORT))
    assert [int(row[0]) for row in rows[1:]] == list(range(1, 22))


def test_it_records_the_export_with_its_filters(admin_client, admin_user):
    make_events(1, "user.login")
    admin_client.get(EXPORT, {"action": "user.login", "date_from": "2026-01-01"})
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.actor == admin_user
    assert event.details == {
        "filters": {"action": "user.login", "date_from": "2026-01-01"}
    }
    assert json.loads(json.dumps(event.details)) == event.details


def test_it_refuses_to_export_with_invalid_filters(admin_client):
    response = admin_client.get(
        EXPORT, {"date_from": "2026-03-05", "date_to": "2026-03-01"}, follow=True
    )
    assert "Correct the filters before exporting." in response.text
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_it_offers_the_export_with_the_current_filters(admin_client):
    make_events(1)
    response = admin_client.get(AUDIT, {"action": "user.login"})
    assert f'href="{EXPORT}?action=user.login"' in response.text


def test_only_admins_hold_the_audit_permissions():
    holders = {
        role
        for role, perms in ROLE_PERMISSIONS.items()
        if {Perm.VIEW_AUDIT, Perm.EXPORT_AUDIT} & perms
    }
    assert holders == {Role.ADMIN}
