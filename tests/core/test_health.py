"""`/healthz` tells monitoring whether database, worker and queue are well."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from leitstelle.core.models import WorkerHeartbeat
from leitstelle.core.views import health

pytestmark = pytest.mark.django_db

URL = "/healthz"


def beat(seconds_ago: float) -> WorkerHeartbeat:
    seen_at = timezone.now() - timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(worker="host:1", seen_at=seen_at)


class BrokenConnection:
    def cursor(self):
        raise OperationalError("connection refused")


def test_it_reports_ok_when_database_worker_and_queue_are_well(client):
    beat(seconds_ago=5)
    response = client.get(URL)
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["worker"]["ok"] is True
    assert 4 <= body["worker"]["age_seconds"] <= 7
    assert body["queue"] == {"pending": 0, "ok": True}


def test_it_reports_the_last_heartbeat_time(client):
    heartbeat = beat(seconds_ago=5)
    body = client.get(URL).json()
    assert body["worker"]["last_heartbeat"] == heartbeat.seen_at.isoformat()


def test_it_uses_the_newest_of_several_workers(client):
    beat(seconds_ago=3600)
    WorkerHeartbeat.objects.create(worker="host:2", seen_at=timezone.now())
    assert client.get(URL).json()["worker"]["age_seconds"] <= 2


def test_it_forbids_caching(client):
    assert client.get(URL)["Cache-Control"] == "no-store"


def test_it_needs_no_login(client):
    beat(seconds_ago=1)
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_it_is_degraded_without_any_worker(client):
    response = client.get(URL)
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["worker"] == {"ok": False, "last_heartbeat": None, "age_seconds": None}


def test_it_is_degraded_when_the_heartbeat_is_stale(client, settings):
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 60
    beat(seconds_ago=120)
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["worker"]["ok"] is False


def test_it_counts_pending_tasks(client):
    beat(seconds_ago=1)
    HUEY.storage.enqueue(b"task-1")
    HUEY.storage.enqueue(b"task-2")
    try:
        body = client.get(URL).json()
    finally:
        HUEY.storage.flush_queue()
    assert body["queue"] == {"pending": 2, "ok": True}


def test_it_is_degraded_when_the_queue_cannot_be_read(client, monkeypatch):
    beat(seconds_ago=1)

    def unreachable() -> int:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(HUEY, "pending_count", unreachable)
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["queue"] == {
        "pending": None,
        "ok": False,
        "error": "cannot read the task queue",
    }


def test_it_is_failing_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    monkeypatch.setattr(health, "worker_status", pytest.fail)
    response = client.get(URL)
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "failing"
    assert body["database"] == {"ok": False, "error": "cannot query the database"}
    assert body["worker"]["ok"] is False


def test_it_does_not_leak_database_details(client, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    assert b"refused" not in client.get(URL).content


def test_it_refuses_posts(client):
    assert client.post(URL).status_code == 405
