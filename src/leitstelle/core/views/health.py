"""Placeholder: being written."""
from __future__ import annotations

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse(status=501)

healthz = _todo
