from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from leitstelle.publishing.models import (
    Publication,
    PublicationState,
    PublishingSettings,
)
from leitstelle.publishing.states import PostType, can_move
from tests.publishing.factories import (
    FakeChannelFactory,
    PostFactory,
    PublicationFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def test_it_keeps_one_variant_per_channel() -> None:
    variant = VariantFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        VariantFactory(post=variant.post, channel=variant.channel)


def test_it_allows_one_live_publication_per_variant_only() -> None:
    first = PublicationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicationFactory(variant=first.variant)
    first.state = PublicationState.RETRACTED
    first.save()
    again = PublicationFactory(variant=first.variant)
    assert again.pk != first.pk
    assert first.idempotency_key != again.idempotency_key


def test_it_gives_every_publication_its_own_idempotency_key() -> None:
    keys = {PublicationFactory().idempotency_key for _ in range(5)}
    assert len(keys) == 5
    assert all(key.startswith("lt-") for key in keys)


def test_it_reads_the_approvals_required_per_type_within_0_to_2() -> None:
    settings = PublishingSettings.current()
    assert settings.required_for(PostType.REPORT) == 1
    assert settings.required_for(PostType.MANHUNT) == 2
    settings.approvals_required = {"report": 0, "warning": 7, "prevention": -1}
    settings.save()
    fresh = PublishingSettings.current()
    assert fresh.required_for(PostType.REPORT) == 0
    assert fresh.required_for(PostType.WARNING) == 2
    assert fresh.required_for(PostType.PREVENTION) == 0
    assert PublishingSettings.objects.count() == 1


def test_it_sends_the_thread_parts_or_the_text() -> None:
    variant = VariantFactory(text="Ganz")
    assert variant.texts == ["Ganz"]
    variant.parts = ["Teil 1", "Teil 2"]
    assert variant.texts == ["Teil 1", "Teil 2"]


def test_it_allows_only_the_state_machines_moves() -> None:
    assert can_move("pending", "sending")
    assert can_move("sending", "published")
    assert can_move("sending", "pending")
    assert can_move("published", "retracted")
    assert not can_move("published", "pending")
    assert not can_move("retracted", "pending")
    assert not can_move("pending", "published")


def test_it_names_posts_and_publications_readably() -> None:
    channel = FakeChannelFactory(name="Polizei Dresden")
    post = PostFactory(title="Sperrung A4")
    publication = PublicationFactory(variant=VariantFactory(post=post, channel=channel))
    assert str(post) == "Sperrung A4"
    assert "Polizei Dresden" in str(publication)
    assert Publication.objects.get(pk=publication.pk).state == "pending"
