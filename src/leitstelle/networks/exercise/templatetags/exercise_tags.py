"""Template filters for the exercise network's timeline."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def ago(value: datetime, now: datetime | None = None) -> str:
    """Say how long ago `value` was, as social networks do ("5 minutes ago")."""
    seconds = int(((now or timezone.now()) - value).total_seconds())
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        count = seconds // 60
        return ngettext("%(count)d minute ago", "%(count)d minutes ago", count) % {
            "count": count
        }
    if seconds < 86400:
        count = seconds // 3600
        return ngettext("%(count)d hour ago", "%(count)d hours ago", count) % {
            "count": count
        }
    if seconds < 7 * 86400:
        count = seconds // 86400
        return ngettext("%(count)d day ago", "%(count)d days ago", count) % {
            "count": count
        }
    return date_format(timezone.localtime(value), "DATE_FORMAT")
