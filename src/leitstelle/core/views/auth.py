"""Placeholder: being written."""
from __future__ import annotations

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse(status=501)

login_password = _todo
login_code = _todo
two_factor_setup = _todo
logout_view = _todo
accept_invitation = _todo
