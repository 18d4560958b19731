"""Placeholder: being written."""
from __future__ import annotations

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse(status=501)

user_list = _todo
invite = _todo
revoke_invitation = _todo
user_edit = _todo
user_deactivate = _todo
user_activate = _todo
user_reset_two_factor = _todo
