"""Placeholder: being written."""
from __future__ import annotations

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse(status=501)

organisation = _todo
logo = _todo
unit_create = _todo
unit_edit = _todo
unit_delete = _todo
