"""Each worker process writes a heartbeat: on start and every minute."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from leitstelle.core import tasks
from leitstelle.core.models import LoginAttempt, WorkerHeartbeat

pytestmark = pytest.mark.django_db

ME = f"{socket.gethostname()}:{os.getpid()}"


def test_it_names_the_worker_by_host_and_process():
    assert tasks.worker_name() == ME


def test_the_task_records_a_heartbeat():
    tasks.record_heartbeat()
    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.worker == ME
    assert timezone.now() - heartbeat.seen_at < timedelta(seconds=5)


def test_it_updates_the_workers_row_instead_of_adding_one():
    WorkerHeartbeat.objects.create(
        worker=ME, seen_at=timezone.now() - timedelta(minutes=5)
    )
    tasks.beat()
    heartbeat = WorkerHeartbeat.objects.get()
    assert timezone.now() - heartbeat.seen_at < timedelta(seconds=5)


def test_it_forgets_workers_gone_for_a_week():
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker="old:1", seen_at=now - timedelta(days=8))
    WorkerHeartbeat.objects.create(worker="recent:2", seen_at=now - timedelta(days=1))
    tasks.beat()
    assert set(WorkerHeartbeat.objects.values_list("worker", flat=True)) == {
        "recent:2",
        ME,
    }


def test_it_runs_every_minute():
    task = tasks.record_heartbeat.s()
    minutes = [datetime(2026, 11, 25, 10, minute) for minute in (7, 8, 59)]
    assert all(task.validate_datetime(minute) for minute in minutes)


def test_it_reports_in_when_a_worker_starts():
    assert HUEY._startup["heartbeat_on_startup"] is tasks.heartbeat_on_startup
    tasks.heartbeat_on_startup()
    assert WorkerHeartbeat.objects.filter(worker=ME).exists()


def test_it_forgets_login_attempts_after_thirty_days():
    old = LoginAttempt.objects.create(
        username="kim", created_at=timezone.now() - timedelta(days=31)
    )
    recent = LoginAttempt.objects.create(
        username="kim", created_at=timezone.now() - timedelta(days=29)
    )
    tasks.prune_login_attempts()
    assert list(LoginAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not LoginAttempt.objects.filter(pk=old.pk).exists()
