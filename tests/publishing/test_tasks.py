from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from leitstelle.core.models import Role
from leitstelle.publishing import services, tasks
from leitstelle.publishing.models import Publication, PublicationState
from tests.core.factories import UserFactory
from tests.publishing.factories import (
    FakeChannelFactory,
    FakeState,
    PublicationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "findings", lambda post, links=False: [])


def approved(editor: Any) -> Any:
    approver = UserFactory(role=Role.APPROVER)
    post = services.create_post(
        author=editor, master_text="Aufgabe", channels=[FakeChannelFactory()]
    )
    services.submit_for_review(post=post, actor=editor)
    return services.approve(post=post, actor=approver)


def test_it_sweeps_what_is_due(fake_network: FakeState) -> None:
    now = timezone.now()
    row = PublicationFactory(due_at=now, next_attempt_at=now)
    PublicationFactory(
        due_at=now + timedelta(hours=1), next_attempt_at=now + timedelta(hours=1)
    )
    tasks.sweep_publications()
    row.refresh_from_db()
    assert row.state == PublicationState.PUBLISHED
    assert len(fake_network.posts) == 1


def test_it_runs_the_sweep_every_minute() -> None:
    minutes = [datetime(2026, 11, 26, 3, m) for m in range(0, 60, 7)]
    task = tasks.sweep_publications.task_class()
    assert all(task.validate_datetime(m) for m in minutes)


def test_it_queues_the_dispatcher_for_the_due_time(
    editor: Any,
    no_checks: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    queued: list[Any] = []
    monkeypatch.setattr(
        tasks.dispatch_soon, "schedule", lambda eta=None, **kw: queued.append(eta)
    )
    post = approved(editor)
    at = timezone.now() + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule(post=post, actor=editor, at=at)
    assert queued == [at]
    assert Publication.objects.get().state == PublicationState.PENDING


def test_it_dispatches_at_once_when_published_now(
    editor: Any,
    no_checks: None,
    fake_network: FakeState,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = approved(editor)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_now(post=post, actor=editor)
    assert Publication.objects.get().state == PublicationState.PUBLISHED
    assert [p.text for p in fake_network.posts] == ["Aufgabe"]
