"""Delete everywhere never reaches channels the acting user cannot see."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent, Role
from leitstelle.networks.models import Channel
from leitstelle.publishing import services
from leitstelle.publishing.models import Post, Publication, PublicationState
from tests.conftest import login_client
from tests.core.factories import UnitFactory, UserFactory
from tests.publishing.factories import (
    FakeChannelFactory,
    FakeState,
    PublicationFactory,
    make_post,
)

pytestmark = pytest.mark.django_db
HIDDEN_MESSAGE = "This post also went out on channels you cannot see."


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def dresden_approver(db: Any) -> Any:
    user = UserFactory(username="dd-approver", role=Role.APPROVER, with_totp=True)
    user.units.add(UnitFactory(name="Dresden"))
    return user


def leipzig_channel() -> Channel:
    channel = FakeChannelFactory(name="Polizei Leipzig")
    channel.units.add(UnitFactory(name="Leipzig"))
    return channel


def published_on(post: Post, channel: Channel, rid: str, /, **kw: Any) -> Any:
    values = {
        "state": PublicationState.PUBLISHED,
        "remote_id": rid,
        "remote_ids": [rid],
        "url": f"https://fake.example/{rid}",
        "published_at": timezone.now(),
        **kw,
    }
    return PublicationFactory(variant=post.variants.get(channel=channel), **values)


def post_on(shared: Channel, hidden: Channel, **hidden_row: Any) -> Post:
    post = make_post([shared, hidden])
    published_on(post, shared, "r-shared")
    published_on(post, hidden, "r-hidden", **hidden_row)
    services.refresh_post_status(post)
    post.refresh_from_db()
    return post


def states() -> set[str]:
    return set(Publication.objects.values_list("state", flat=True))


def test_it_refuses_when_the_post_is_live_on_a_channel_the_actor_cannot_see(
    dresden_approver: Any, fake_network: FakeState
) -> None:
    post = post_on(FakeChannelFactory(), leipzig_channel())
    with pytest.raises(services.NotAllowed) as refused:
        services.delete_everywhere(post=post, actor=dresden_approver)
    assert HIDDEN_MESSAGE in refused.value.message
    assert fake_network.calls == [], "nothing was deleted anywhere"
    assert states() == {PublicationState.PUBLISHED}
    assert not AuditEvent.objects.filter(
        action="publishing.post_deleted_everywhere"
    ).exists()


def test_it_also_refuses_for_rows_still_waiting_on_a_hidden_channel(
    dresden_approver: Any, fake_network: FakeState
) -> None:
    post = post_on(
        FakeChannelFactory(),
        leipzig_channel(),
        state=PublicationState.PENDING,
        remote_id="",
        remote_ids=[],
        url="",
        published_at=None,
    )
    with pytest.raises(services.NotAllowed):
        services.delete_everywhere(post=post, actor=dresden_approver)
    assert PublicationState.PENDING in states()


def test_it_deletes_when_the_actor_sees_every_channel(
    dresden_approver: Any, fake_network: FakeState
) -> None:
    hidden = leipzig_channel()
    post = post_on(FakeChannelFactory(), hidden)
    hidden.users.add(dresden_approver)
    outcomes = services.delete_everywhere(post=post, actor=dresden_approver)
    assert all(o.ok for o in outcomes)
    assert sorted(remote for _call, remote in fake_network.calls) == [
        "r-hidden",
        "r-shared",
    ]
    assert states() == {PublicationState.RETRACTED}


def test_admins_see_and_delete_everywhere(
    admin_user: Any, fake_network: FakeState
) -> None:
    post = post_on(FakeChannelFactory(), leipzig_channel())
    outcomes = services.delete_everywhere(post=post, actor=admin_user)
    assert len(outcomes) == 2
    assert all(o.ok for o in outcomes)
    assert states() == {PublicationState.RETRACTED}


def test_it_ignores_hidden_channels_where_the_post_is_already_deleted(
    dresden_approver: Any, fake_network: FakeState
) -> None:
    post = post_on(
        FakeChannelFactory(),
        leipzig_channel(),
        state=PublicationState.RETRACTED,
        retracted_at=timezone.now(),
    )
    outcomes = services.delete_everywhere(post=post, actor=dresden_approver)
    assert [o.publication.remote_id for o in outcomes] == ["r-shared"]
    assert fake_network.calls == [("delete", "r-shared")]


def test_the_page_shows_the_refusal_in_plain_words(
    client: Client, dresden_approver: Any, fake_network: FakeState
) -> None:
    post = post_on(FakeChannelFactory(), leipzig_channel())
    response = login_client(client, dresden_approver).post(
        reverse("publishing:delete", args=[post.pk]), follow=True
    )
    assert response.status_code == 200
    assert HIDDEN_MESSAGE in response.text
    assert "Ask an administrator" in response.text
    assert fake_network.calls == []
    assert states() == {PublicationState.PUBLISHED}


def test_it_refuses_to_correct_a_post_live_on_a_channel_the_actor_cannot_see(
    dresden_approver: Any, fake_network: FakeState
) -> None:
    post = post_on(FakeChannelFactory(), leipzig_channel())
    with pytest.raises(services.NotAllowed) as refused:
        services.edit_published(
            post=post, actor=dresden_approver, master_text="Korrigierter Text"
        )
    assert HIDDEN_MESSAGE in refused.value.message
    assert fake_network.calls == [], "nothing was changed anywhere"
    post.refresh_from_db()
    assert post.master_text != "Korrigierter Text", "the post changed anyway"


def test_the_page_offers_no_button_that_would_be_refused(
    client: Client, dresden_approver: Any, admin_user: Any
) -> None:
    post = post_on(FakeChannelFactory(), leipzig_channel())
    delete_url = reverse("publishing:delete", args=[post.pk])
    detail_url = reverse("publishing:detail", args=[post.pk])

    page = login_client(client, dresden_approver).get(detail_url).text

    assert delete_url not in page, "a delete button that can only fail"
    assert reverse("publishing:edit_published", args=[post.pk]) not in page
    assert delete_url in login_client(Client(), admin_user).get(detail_url).text
