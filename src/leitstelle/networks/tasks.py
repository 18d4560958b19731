"""Background tasks of the channels: the periodic health check."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from leitstelle.networks import services
from leitstelle.networks.models import Channel


@db_periodic_task(crontab(minute="*/15"))
def check_channels_health() -> int:
    """Queue a health check for every channel that may be called now."""
    channel_ids = list(
        services.channels_due_for_health_check().values_list("pk", flat=True)
    )
    for channel_id in channel_ids:
        check_channel_health(channel_id)
    return len(channel_ids)


@db_task()
def check_channel_health(channel_id: int) -> bool:
    """Check one channel; a channel deleted meanwhile is skipped."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return False
    return services.check_channel_health(channel=channel)
