"""`/healthz`: database, worker heartbeat and queue depth for monitoring."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from leitstelle.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("Health check: database unreachable: %s", exc)
        return {"ok": False, "error": "cannot query the database"}
    return {"ok": True}


def worker_status() -> dict[str, Any]:
    try:
        latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except DatabaseError:
        latest = None
    if latest is None:
        return {"ok": False, "last_heartbeat": None, "age_seconds": None}
    age = max(0, round((timezone.now() - latest.seen_at).total_seconds()))
    return {
        "ok": age <= settings.WORKER_HEARTBEAT_STALE_SECONDS,
        "last_heartbeat": latest.seen_at.isoformat(),
        "age_seconds": age,
    }


def queue_status() -> dict[str, Any]:
    from huey.contrib.djhuey import HUEY

    try:
        pending = HUEY.pending_count()
    except Exception as exc:  # any backend: Redis, SQLite, …
        logger.warning("Health check: task queue unreadable: %s", exc)
        return {"pending": None, "ok": False, "error": "cannot read the task queue"}
    return {"pending": pending, "ok": True}


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, worker and queue; 200 if all are well, else 503."""
    database = database_status()
    if database["ok"]:
        worker = worker_status()
    else:
        worker = {"ok": False, "last_heartbeat": None, "age_seconds": None}
    queue = queue_status()
    if not database["ok"]:
        status = "failing"
    elif worker["ok"] and queue["ok"]:
        status = "ok"
    else:
        status = "degraded"
    body = {"status": status, "database": database, "worker": worker, "queue": queue}
    response = JsonResponse(body, status=200 if status == "ok" else 503)
    response["Cache-Control"] = "no-store"
    return response
