"""Background tasks of the core: the workers' heartbeat."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from leitstelle.core.models import LoginAttempt, WorkerHeartbeat

# Rows of workers that stopped long ago are removed by the next heartbeat.
FORGET_WORKERS_AFTER = timedelta(days=7)


def worker_name() -> str:
    """Return this process's name for the heartbeat: hostname:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat() -> str:
    """Record that this worker process is alive; return its name."""
    now = timezone.now()
    name = worker_name()
    WorkerHeartbeat.objects.update_or_create(worker=name, defaults={"seen_at": now})
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_WORKERS_AFTER).delete()
    return name


@db_periodic_task(crontab(minute="*"))
def record_heartbeat() -> str:
    """Write the heartbeat every minute (and whenever enqueued)."""
    return beat()


@HUEY.on_startup()
def heartbeat_on_startup() -> None:
    """Report in as soon as a worker starts, not only after a minute."""
    beat()


# Login attempts only matter for lockouts (minutes); the audit log keeps the
# lasting record of failed logins.
FORGET_LOGIN_ATTEMPTS_AFTER = timedelta(days=30)


def forget_old_login_attempts() -> int:
    """Delete login attempts older than the retention period; return count."""
    cutoff = timezone.now() - FORGET_LOGIN_ATTEMPTS_AFTER
    deleted, _ = LoginAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@db_periodic_task(crontab(minute="17", hour="3"))
def prune_login_attempts() -> int:
    """Run the nightly clean-up of old login attempts."""
    return forget_old_login_attempts()
