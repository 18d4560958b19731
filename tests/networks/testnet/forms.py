from __future__ import annotations

from typing import Any

from django import forms


class ConnectForm(forms.Form):
    server = forms.URLField(initial="https://test.example", assume_scheme="https")
    token = forms.CharField(widget=forms.PasswordInput)

    def channel_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"server": self.cleaned_data["server"]}, {
            "token": self.cleaned_data["token"]
        }
