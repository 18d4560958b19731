"""Background tasks of publishing: dispatch at the due time, and a sweep.

`services` queues `dispatch_soon` with an eta at a post's due time; the
periodic sweep every minute catches whatever that missed (worker down, a
clock jump, a retry whose backoff ran out). Both run the same idempotent
dispatcher round, so running them twice at once only splits the work.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from leitstelle.publishing import dispatcher


@db_task()
def dispatch_soon() -> int:
    """Send what is due now; queued for a post's due time."""
    return dispatcher.dispatch_due().claimed


@db_periodic_task(crontab(minute="*"))
def sweep_publications() -> int:
    """Every minute: send anything due that no task picked up."""
    return dispatcher.dispatch_due().claimed
