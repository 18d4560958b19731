"""Placeholder: being written."""
from __future__ import annotations

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse(status=501)

account = _todo
logout_everywhere = _todo
create_api_token = _todo
revoke_api_token = _todo
