"""The organisation page: name, second-factor policy, logo and units."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leitstelle.core.models import AuditEvent, Organisation, TwoFactorPolicy, Unit
from tests.conftest import login_client
from tests.core.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTMX = {"HTTP_HX_REQUEST": "true"}

ORGANISATION = reverse("core:organisation")
LOGO = reverse("core:organisation_logo")
UNIT_CREATE = reverse("core:unit_create")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).first()


def unit_urls() -> list[tuple[str, str]]:
    unit = UnitFactory(name="Dresden")
    return [
        ("get", ORGANISATION),
        ("post", ORGANISATION),
        ("post", LOGO),
        ("post", UNIT_CREATE),
        ("get", reverse("core:unit_edit", args=[unit.pk])),
        ("post", reverse("core:unit_delete", args=[unit.pk])),
    ]


def test_it_sends_anonymous_visitors_to_the_login(client):
    for method, url in unit_urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("core:login")), url


@pytest.mark.parametrize("role_client", ["analyst_client", "editor_client"])
def test_it_refuses_other_roles(request, role_client):
    client = request.getfixturevalue(role_client)
    for method, url in unit_urls():
        assert getattr(client, method)(url).status_code == 403, url
    assert Unit.objects.get().name == "Dresden"


def test_it_refuses_an_approver(client):
    login_client(client, UserFactory(role="approver", with_totp=True))
    assert client.get(ORGANISATION).status_code == 403


def test_it_shows_the_settings_and_the_empty_units_list(admin_client):
    response = admin_client.get(ORGANISATION)
    assert response.status_code == 200
    assert b'value="Leitstelle"' in response.content
    assert "No units yet — add Dresden, Leipzig, …" in response.text


def test_it_lists_units_with_their_member_count(admin_client):
    unit = UnitFactory(name="Leipzig")
    UserFactory().units.add(unit)
    response = admin_client.get(ORGANISATION)
    assert response.context["units"][0].member_count == 1
    assert "Leipzig" in response.text


def test_it_saves_name_and_policy(admin_client, admin_user):
    response = admin_client.post(
        ORGANISATION,
        {"name": "Polizeidirektion Leipzig", "two_factor_policy": "everyone"},
        follow=True,
    )
    organisation = Organisation.current()
    assert organisation.name == "Polizeidirektion Leipzig"
    assert organisation.two_factor_policy == TwoFactorPolicy.EVERYONE
    assert "The organisation has been saved." in response.text
    event = last_event("organisation.updated")
    assert event.actor == admin_user
    assert event.details["name"] == {
        "before": "Leitstelle",
        "after": "Polizeidirektion Leipzig",
    }
    assert event.address == "127.0.0.1"


def test_it_refuses_an_empty_name(admin_client):
    response = admin_client.post(
        ORGANISATION, {"name": "", "two_factor_policy": "everyone"}
    )
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert Organisation.current().two_factor_policy == TwoFactorPolicy.PRIVILEGED
    assert not AuditEvent.objects.exists()


def test_it_refuses_an_unknown_policy(admin_client):
    response = admin_client.post(
        ORGANISATION, {"name": "Neu", "two_factor_policy": "nobody"}
    )
    assert "Select a valid choice." in response.text
    assert Organisation.current().name == "Leitstelle"


def test_it_uploads_a_logo_and_shows_it(media, admin_client, admin_user):
    response = admin_client.post(
        LOGO, {"logo": SimpleUploadedFile("wappen.png", PNG)}, follow=True
    )
    organisation = Organisation.current()
    assert organisation.logo.name.startswith("organisation/logo-")
    assert (media / organisation.logo.name).read_bytes() == PNG
    assert "The new logo has been saved." in response.text
    assert f'src="{organisation.logo.url}"' in response.text
    assert last_event("organisation.logo_changed").actor == admin_user


def test_it_refuses_an_svg_logo(media, admin_client):
    response = admin_client.post(
        LOGO, {"logo": SimpleUploadedFile("logo.png", SVG, content_type="image/png")}
    )
    assert response.status_code == 200
    assert "The logo must be a PNG, JPEG or WebP image." in response.text
    assert not Organisation.current().logo
    assert not AuditEvent.objects.exists()


def test_it_refuses_an_oversized_logo(media, admin_client):
    big = SimpleUploadedFile("logo.png", PNG + b"\x00" * (1024 * 1024))
    response = admin_client.post(LOGO, {"logo": big})
    assert "The logo may be at most 1 MB." in response.text
    assert not Organisation.current().logo


def test_it_asks_for_a_file_when_none_was_chosen(admin_client):
    response = admin_client.post(LOGO, {})
    assert "This field is required." in response.text


def test_it_removes_the_logo(media, admin_client):
    admin_client.post(LOGO, {"logo": SimpleUploadedFile("wappen.png", PNG)})
    response = admin_client.post(LOGO, {"remove": "1"}, follow=True)
    assert not Organisation.current().logo
    assert "The logo has been removed." in response.text
    assert last_event("organisation.logo_removed") is not None


def test_it_says_so_when_there_is_no_logo_to_remove(admin_client):
    response = admin_client.post(LOGO, {"remove": "1"}, follow=True)
    assert "There is no logo to remove." in response.text


def test_it_accepts_only_post_for_the_logo(admin_client):
    assert admin_client.get(LOGO).status_code == 405


def test_it_adds_a_unit(admin_client, admin_user):
    response = admin_client.post(UNIT_CREATE, {"name": "Dresden"}, follow=True)
    assert Unit.objects.get().name == "Dresden"
    assert "“Dresden” has been added." in response.text
    assert "<html" in response.text
    event = last_event("unit.created")
    assert (event.actor, event.details) == (admin_user, {"name": "Dresden"})


def test_it_adds_a_unit_in_place_with_htmx(admin_client):
    response = admin_client.post(UNIT_CREATE, {"name": "Dresden"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="units"' in response.text
    assert "“Dresden” has been added." in response.text
    assert "<td>Dresden</td>" in response.text


def test_it_refuses_a_duplicate_unit(admin_client):
    UnitFactory(name="Dresden")
    response = admin_client.post(UNIT_CREATE, {"name": "DRESDEN"})
    assert "A unit named “DRESDEN” exists already." in response.text
    assert "<html" in response.text
    assert Unit.objects.count() == 1


def test_it_shows_the_duplicate_error_in_place_with_htmx(admin_client):
    UnitFactory(name="Dresden")
    response = admin_client.post(UNIT_CREATE, {"name": "dresden"}, **HTMX)
    assert "<html" not in response.text
    assert "A unit named “dresden” exists already." in response.text
    assert 'value="dresden"' in response.text


def test_it_refuses_an_empty_unit_name(admin_client):
    response = admin_client.post(UNIT_CREATE, {"name": ""})
    assert "This field is required." in response.text
    assert not Unit.objects.exists()


def test_it_shows_the_rename_form(admin_client):
    unit = UnitFactory(name="Dresden")
    response = admin_client.get(reverse("core:unit_edit", args=[unit.pk]))
    assert response.status_code == 200
    assert 'value="Dresden"' in response.text


def test_it_renames_a_unit(admin_client, admin_user):
    unit = UnitFactory(name="Dresen")
    response = admin_client.post(
        reverse("core:unit_edit", args=[unit.pk]), {"name": "Dresden"}, follow=True
    )
    assert Unit.objects.get().name == "Dresden"
    assert "The unit has been renamed." in response.text
    assert last_event("unit.renamed").details == {
        "name": {"before": "Dresen", "after": "Dresden"}
    }


def test_it_refuses_to_rename_to_an_existing_name(admin_client):
    UnitFactory(name="Leipzig")
    unit = UnitFactory(name="Dresden")
    response = admin_client.post(
        reverse("core:unit_edit", args=[unit.pk]), {"name": "Leipzig"}
    )
    assert "A unit named “Leipzig” exists already." in response.text
    assert Unit.objects.get(pk=unit.pk).name == "Dresden"


def test_it_answers_404_for_an_unknown_unit(admin_client):
    assert admin_client.get(reverse("core:unit_edit", args=[999])).status_code == 404


def test_it_deletes_a_unit(admin_client, admin_user):
    unit = UnitFactory(name="Görlitz")
    response = admin_client.post(
        reverse("core:unit_delete", args=[unit.pk]), follow=True
    )
    assert not Unit.objects.exists()
    assert "“Görlitz” has been deleted." in response.text
    assert last_event("unit.deleted").actor == admin_user


def test_it_deletes_a_unit_in_place_with_htmx(admin_client):
    unit = UnitFactory(name="Görlitz")
    response = admin_client.post(reverse("core:unit_delete", args=[unit.pk]), **HTMX)
    assert "<html" not in response.text
    assert "“Görlitz” has been deleted." in response.text
    assert "No units yet" in response.text


def test_it_refuses_to_delete_a_unit_with_members(admin_client):
    unit = UnitFactory(name="Dresden")
    UserFactory().units.add(unit)
    response = admin_client.post(
        reverse("core:unit_delete", args=[unit.pk]), follow=True
    )
    assert Unit.objects.filter(pk=unit.pk).exists()
    assert "“Dresden” still has 1 member(s)." in response.text


def test_it_shows_the_refusal_in_place_with_htmx(admin_client):
    unit = UnitFactory(name="Dresden")
    UserFactory().units.add(unit)
    response = admin_client.post(reverse("core:unit_delete", args=[unit.pk]), **HTMX)
    assert "<html" not in response.text
    assert 'role="alert"' in response.text
    assert "still has 1 member(s)" in response.text


def test_it_deletes_units_only_by_post(admin_client):
    unit = UnitFactory(name="Dresden")
    response = admin_client.get(reverse("core:unit_delete", args=[unit.pk]))
    assert response.status_code == 405
    assert Unit.objects.exists()
