"""Connecting a Facebook page: what the admin enters."""

from __future__ import annotations

from leitstelle.networks.facebook.forms import ConnectForm
from leitstelle.networks.instagram.forms import ConnectForm as InstagramForm


def test_it_keeps_the_page_and_its_token() -> None:
    form = ConnectForm({"page_id": "104512345678901", "access_token": "EAAB123"})
    assert form.is_valid(), form.errors
    assert form.channel_data() == (
        {"page_id": "104512345678901"},
        {"access_token": "EAAB123"},
    )


def test_it_keeps_an_app_token_to_read_the_expiry() -> None:
    form = ConnectForm(
        {"page_id": "1", "access_token": "EAAB123", "app_token": "123|secret"}
    )
    assert form.is_valid(), form.errors
    assert form.channel_data()[1] == {
        "access_token": "EAAB123",
        "app_token": "123|secret",
    }


def test_it_explains_a_page_id_that_is_not_numeric() -> None:
    form = ConnectForm({"page_id": "polizei.musterstadt", "access_token": "EAAB123"})
    assert not form.is_valid()
    assert form.errors["page_id"] == ["Enter the numeric id, digits only."]


def test_it_never_shows_a_token_again() -> None:
    form = ConnectForm({"page_id": "x", "access_token": "EAAB-SECRET"})
    assert not form.is_valid()
    assert "EAAB-SECRET" not in str(form["access_token"])


def test_instagram_asks_for_the_linked_page() -> None:
    form = InstagramForm({"page_id": "104512345678901", "access_token": "EAAB123"})
    assert form.is_valid(), form.errors
    assert form.channel_data() == (
        {"page_id": "104512345678901"},
        {"access_token": "EAAB123"},
    )
    assert form.fields["page_id"].label == "Id of the linked Facebook page"
    assert ConnectForm().fields["page_id"].label == "Page id"
