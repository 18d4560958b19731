"""Administration workflows: each one changes state and leaves an audit entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from leitstelle.core import services
from leitstelle.core.audit import record_event
from leitstelle.core.models import (
    AuditEvent,
    Invitation,
    Organisation,
    Role,
    TwoFactorPolicy,
    Unit,
)
from tests.core.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x40\x00\x00\x00WEBPVP8 " + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).first()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def organisation(db) -> Organisation:
    return Organisation.current()


def test_it_updates_the_organisation_and_records_before_and_after(
    organisation, admin_user
):
    services.update_organisation(
        organisation=organisation,
        actor=admin_user,
        name="Polizeidirektion Dresden",
        two_factor_policy=TwoFactorPolicy.EVERYONE,
    )
    organisation.refresh_from_db()
    assert organisation.name == "Polizeidirektion Dresden"
    event = last_event("organisation.updated")
    assert event.actor == admin_user
    assert event.details == {
        "name": {"before": "Leitstelle", "after": "Polizeidirektion Dresden"},
        "two_factor_policy": {"before": "privileged", "after": "everyone"},
    }


def test_it_refuses_an_empty_organisation_name(organisation, admin_user):
    with pytest.raises(services.ServiceError, match="needs a name"):
        services.update_organisation(
            organisation=organisation,
            actor=admin_user,
            name="  ",
            two_factor_policy=TwoFactorPolicy.PRIVILEGED,
        )
    assert Organisation.current().name == "Leitstelle"
    assert not AuditEvent.objects.exists()


def test_it_refuses_an_unknown_two_factor_policy(organisation, admin_user):
    with pytest.raises(services.ServiceError, match="second factor"):
        services.update_organisation(
            organisation=organisation,
            actor=admin_user,
            name="Leitstelle",
            two_factor_policy="nobody",
        )
    assert Organisation.current().two_factor_policy == TwoFactorPolicy.PRIVILEGED


def test_it_records_nothing_when_nothing_changed(organisation, admin_user):
    services.update_organisation(
        organisation=organisation,
        actor=admin_user,
        name="Leitstelle",
        two_factor_policy=TwoFactorPolicy.PRIVILEGED,
    )
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("content", "extension"), [(PNG, "png"), (JPEG, "jpg"), (WEBP, "webp")]
)
def test_it_stores_a_logo_by_its_real_type(
    media, organisation, admin_user, content, extension
):
    upload = SimpleUploadedFile("logo.gif", content)
    services.set_logo(organisation=organisation, actor=admin_user, file=upload)
    organisation.refresh_from_db()
    assert organisation.logo.name.endswith(f".{extension}")
    assert (media / organisation.logo.name).read_bytes() == content
    event = last_event("organisation.logo_changed")
    assert event.details["logo"] == {"before": "", "after": organisation.logo.name}


def test_it_refuses_an_svg_logo_even_when_named_png(media, organisation, admin_user):
    upload = SimpleUploadedFile("logo.png", SVG, content_type="image/png")
    with pytest.raises(services.ServiceError, match="PNG, JPEG or WebP"):
        services.set_logo(organisation=organisation, actor=admin_user, file=upload)
    assert not Organisation.current().logo
    assert not list(media.rglob("*.*"))


def test_it_refuses_a_logo_over_one_megabyte(media, organisation, admin_user):
    upload = SimpleUploadedFile("logo.png", PNG + b"\x00" * 1024 * 1024)
    with pytest.raises(services.ServiceError, match="at most 1 MB"):
        services.set_logo(organisation=organisation, actor=admin_user, file=upload)
    assert not Organisation.current().logo


def test_it_deletes_the_replaced_logo_file_after_commit(
    media, organisation, admin_user, django_capture_on_commit_callbacks
):
    services.set_logo(
        organisation=organisation,
        actor=admin_user,
        file=SimpleUploadedFile("a.png", PNG),
    )
    old = media / organisation.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        services.set_logo(
            organisation=organisation,
            actor=admin_user,
            file=SimpleUploadedFile("b.jpg", JPEG),
        )
    assert not old.exists()
    assert (media / organisation.logo.name).exists()


def test_it_removes_the_logo_and_its_file(
    media, organisation, admin_user, django_capture_on_commit_callbacks
):
    services.set_logo(
        organisation=organisation,
        actor=admin_user,
        file=SimpleUploadedFile("a.png", PNG),
    )
    stored = media / organisation.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_logo(organisation=organisation, actor=admin_user)
    assert not Organisation.current().logo
    assert not stored.exists()
    assert last_event("organisation.logo_removed").details["logo"]["after"] == ""


def test_it_refuses_to_remove_a_missing_logo(organisation, admin_user):
    with pytest.raises(services.ServiceError, match="no logo"):
        services.remove_logo(organisation=organisation, actor=admin_user)


def test_it_creates_a_unit_with_a_trimmed_name(admin_user):
    unit = services.create_unit(actor=admin_user, name="  Dresden ")
    assert unit.name == "Dresden"
    event = last_event("unit.created")
    assert (event.actor, event.object_label, event.details) == (
        admin_user,
        "Dresden",
        {"name": "Dresden"},
    )


def test_it_refuses_a_unit_name_that_differs_only_in_case(admin_user):
    UnitFactory(name="Dresden")
    with pytest.raises(services.ConflictError, match="exists already"):
        services.create_unit(actor=admin_user, name="dresden")
    assert Unit.objects.count() == 1


def test_it_refuses_an_empty_unit_name(admin_user):
    with pytest.raises(services.ServiceError, match="needs a name"):
        services.create_unit(actor=admin_user, name=" ")


def test_it_renames_a_unit_and_records_before_and_after(admin_user):
    unit = UnitFactory(name="Dresen")
    services.rename_unit(unit=unit, actor=admin_user, name="Dresden")
    assert Unit.objects.get().name == "Dresden"
    assert last_event("unit.renamed").details == {
        "name": {"before": "Dresen", "after": "Dresden"}
    }


def test_it_refuses_to_rename_a_unit_to_an_existing_name(admin_user):
    UnitFactory(name="Leipzig")
    unit = UnitFactory(name="Dresden")
    with pytest.raises(services.ConflictError):
        services.rename_unit(unit=unit, actor=admin_user, name="Leipzig")
    assert Unit.objects.get(pk=unit.pk).name == "Dresden"


def test_it_deletes_an_empty_unit(admin_user):
    unit = UnitFactory(name="Görlitz")
    services.delete_unit(unit=unit, actor=admin_user)
    assert not Unit.objects.exists()
    assert last_event("unit.deleted").details == {"name": "Görlitz"}


def test_it_refuses_to_delete_a_unit_with_members(admin_user):
    unit = UnitFactory(name="Dresden")
    UserFactory().units.add(unit)
    with pytest.raises(services.ConflictError, match="still has 1 member"):
        services.delete_unit(unit=unit, actor=admin_user)
    assert Unit.objects.filter(pk=unit.pk).exists()
    assert not AuditEvent.objects.filter(action="unit.deleted").exists()


def test_it_refuses_to_delete_a_unit_named_in_an_open_invitation(admin_user):
    unit = UnitFactory(name="Dresden")
    services.create_invitation(actor=admin_user, role=Role.EDITOR, units=[unit])
    with pytest.raises(services.ConflictError, match="open invitation"):
        services.delete_unit(unit=unit, actor=admin_user)


def test_it_creates_an_invitation_storing_only_the_token_hash(admin_user):
    unit = UnitFactory(name="Dresden")
    invitation, token = services.create_invitation(
        actor=admin_user,
        role=Role.EDITOR,
        units=[unit],
        email="neu@polizei.example",
        first_name="Alex",
    )
    assert len(token) >= 43
    assert invitation.token_hash == Invitation.hash_token(token)
    assert token not in str(Invitation.objects.values().get())
    assert list(invitation.units.all()) == [unit]
    assert invitation.is_usable


def test_it_makes_an_invitation_valid_for_seven_days(admin_user):
    invitation, _token = services.create_invitation(
        actor=admin_user, role=Role.ANALYST, units=[]
    )
    remaining = invitation.expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < remaining <= timedelta(days=7)


def test_it_records_the_invitation_without_the_token(admin_user):
    _invitation, token = services.create_invitation(
        actor=admin_user, role=Role.EDITOR, units=[UnitFactory(name="Leipzig")]
    )
    event = last_event("user.invited")
    assert event.actor == admin_user
    assert event.details["role"] == "editor"
    assert event.details["units"] == ["Leipzig"]
    assert token not in str(event.details)


def test_it_builds_the_invitation_link_from_the_base_url(settings):
    settings.BASE_URL = "https://leitstelle.polizei.example"
    assert (
        services.invitation_link("abc")
        == "https://leitstelle.polizei.example/einladung/abc/"
    )


def test_it_refuses_an_invitation_with_an_unknown_role(admin_user):
    with pytest.raises(services.ServiceError, match="is not a role"):
        services.create_invitation(actor=admin_user, role="boss", units=[])
    assert not Invitation.objects.exists()


def test_it_refuses_an_invitation_for_a_taken_email_address(admin_user):
    UserFactory(email="kim@polizei.example")
    with pytest.raises(services.ConflictError, match="e-mail address"):
        services.create_invitation(
            actor=admin_user, role=Role.EDITOR, units=[], email="KIM@polizei.example"
        )


def test_it_revokes_an_invitation(admin_user):
    invitation, _token = services.create_invitation(
        actor=admin_user, role=Role.EDITOR, units=[]
    )
    services.revoke_invitation(invitation=invitation, actor=admin_user)
    invitation.refresh_from_db()
    assert not invitation.is_usable
    assert last_event("user.invitation_revoked").object_id == str(invitation.pk)


def test_it_refuses_to_revoke_an_invitation_twice(admin_user):
    invitation, _token = services.create_invitation(
        actor=admin_user, role=Role.EDITOR, units=[]
    )
    services.revoke_invitation(invitation=invitation, actor=admin_user)
    with pytest.raises(services.ConflictError, match="revoked already"):
        services.revoke_invitation(invitation=invitation, actor=admin_user)


def test_it_changes_a_role_and_records_before_and_after(admin_user):
    user = UserFactory(role=Role.EDITOR)
    services.change_role(user=user, actor=admin_user, role=Role.APPROVER)
    user.refresh_from_db()
    assert user.role == Role.APPROVER
    event = last_event("user.role_changed")
    assert event.details == {"role": {"before": "editor", "after": "approver"}}
    assert event.object_id == str(user.pk)


def test_it_refuses_to_demote_the_last_active_admin(admin_user):
    UserFactory(role=Role.ADMIN, is_active=False)
    with pytest.raises(services.ConflictError, match="last active admin"):
        services.change_role(user=admin_user, actor=admin_user, role=Role.EDITOR)
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_it_demotes_an_admin_when_another_admin_remains(admin_user):
    other = UserFactory(role=Role.ADMIN)
    services.change_role(user=other, actor=admin_user, role=Role.ANALYST)
    other.refresh_from_db()
    assert other.role == Role.ANALYST


def test_it_refuses_an_unknown_role(admin_user):
    user = UserFactory(role=Role.EDITOR)
    with pytest.raises(services.ServiceError, match="is not a role"):
        services.change_role(user=user, actor=admin_user, role="superuser")


def test_it_updates_names_email_and_units_in_one_entry(admin_user):
    dresden, leipzig = UnitFactory(name="Dresden"), UnitFactory(name="Leipzig")
    user = UserFactory(first_name="Kim", last_name="Alt", email="kim@polizei.example")
    user.units.add(dresden)
    services.update_user(
        user=user,
        actor=admin_user,
        role=user.role,
        units=[leipzig],
        first_name="Kim",
        last_name="Neu",
        email="kim.neu@polizei.example",
    )
    user.refresh_from_db()
    assert list(user.units.all()) == [leipzig]
    assert last_event("user.updated").details == {
        "last_name": {"before": "Alt", "after": "Neu"},
        "email": {"before": "kim@polizei.example", "after": "kim.neu@polizei.example"},
        "units": {"before": ["Dresden"], "after": ["Leipzig"]},
    }
    assert not AuditEvent.objects.filter(action="user.role_changed").exists()


def test_it_rolls_back_the_role_when_the_email_is_taken(admin_user):
    UserFactory(email="taken@polizei.example")
    user = UserFactory(role=Role.EDITOR)
    with pytest.raises(services.ConflictError):
        services.update_user(
            user=user,
            actor=admin_user,
            role=Role.APPROVER,
            units=[],
            first_name="",
            last_name="",
            email="taken@polizei.example",
        )
    user.refresh_from_db()
    assert user.role == Role.EDITOR
    assert not AuditEvent.objects.filter(action="user.role_changed").exists()


def test_it_deactivates_a_user_and_ends_their_sessions(admin_user):
    user = UserFactory(role=Role.EDITOR)
    epoch = user.session_epoch
    services.deactivate_user(user=user, actor=admin_user)
    user.refresh_from_db()
    assert not user.is_active
    assert user.session_epoch == epoch + 1
    event = last_event("user.deactivated")
    assert (event.actor, event.object_id) == (admin_user, str(user.pk))


def test_it_refuses_to_deactivate_yourself(admin_user):
    UserFactory(role=Role.ADMIN)
    with pytest.raises(services.ConflictError, match="yourself"):
        services.deactivate_user(user=admin_user, actor=admin_user)
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_it_refuses_to_deactivate_the_last_active_admin(admin_user):
    actor = UserFactory(role=Role.APPROVER)
    with pytest.raises(services.ConflictError, match="last active admin"):
        services.deactivate_user(user=admin_user, actor=actor)
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_it_activates_a_user_again(admin_user):
    user = UserFactory(is_active=False)
    services.activate_user(user=user, actor=admin_user)
    user.refresh_from_db()
    assert user.is_active
    assert last_event("user.activated").details == {
        "is_active": {"before": False, "after": True}
    }


def test_it_refuses_to_activate_an_active_user(admin_user):
    with pytest.raises(services.ConflictError, match="active already"):
        services.activate_user(user=UserFactory(), actor=admin_user)


def test_it_resets_the_second_factor_and_ends_sessions(admin_user):
    user = UserFactory(with_totp=True, totp_last_counter=123)
    services.reset_two_factor(user=user, actor=admin_user)
    user.refresh_from_db()
    assert (user.totp_secret, user.totp_confirmed_at, user.totp_last_counter) == (
        "",
        None,
        0,
    )
    assert user.session_epoch == 1
    assert last_event("user.two_factor_reset").actor == admin_user


def test_it_refuses_to_reset_a_second_factor_that_is_not_set_up(admin_user):
    with pytest.raises(services.ConflictError, match="no second factor"):
        services.reset_two_factor(user=UserFactory(), actor=admin_user)


def test_it_filters_audit_entries_by_actor_action_and_object(admin_user):
    unit = UnitFactory(name="Dresden")
    record_event(action="unit.renamed", actor=admin_user, target=unit)
    record_event(action="unit.renamed", target=unit)
    record_event(action="user.login", actor=admin_user)
    events = services.filter_audit_events(
        actor="ADMIN", action="unit.renamed", object_type="core.unit", text="dres"
    )
    assert [(e.actor_label, e.action) for e in events] == [("admin", "unit.renamed")]


def test_it_filters_audit_entries_by_berlin_calendar_days(admin_user, monkeypatch):
    berlin = ZoneInfo("Europe/Berlin")
    late = datetime(2026, 3, 1, 23, 30, tzinfo=berlin)
    for action, moment in [
        ("user.login", late),
        ("user.logout", late + timedelta(hours=1)),
    ]:
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        record_event(action=action, actor=admin_user)
    day = late.date()
    events = services.filter_audit_events(date_from=day, date_to=day)
    assert [e.action for e in events] == ["user.login"]
