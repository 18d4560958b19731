"""What each paid X API tier lets Leitstelle do, and what it does not.

Sources: https://docs.x.com/x-api/getting-started/about-x-api (access levels;
Free is write-only), the rate-limit tables per tier, and the blocks guide
("The block and unblock users endpoints are only available under the
Enterprise plan", https://docs.x.com/x-api/users/blocks/integrate).
"""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from leitstelle.networks.base import Capabilities

FREE = Capabilities(
    threads=True, metrics=True, inbox=False, search=False, hide=False, mute=False
)
PAID = replace(FREE, inbox=True, search=True, hide=True, mute=True)

TIERS: dict[str, Capabilities] = {
    "free": FREE,
    "basic": PAID,
    "pro": PAID,
    "pay_per_use": PAID,
    "enterprise": replace(PAID, block=True),
}
TIER_CHOICES = [
    ("free", _("Free (posting only)")),
    ("basic", _("Basic")),
    ("pro", _("Pro")),
    ("pay_per_use", _("Pay per use")),
    ("enterprise", _("Enterprise")),
]
# Why a capability is missing, in words for the channel page.
REASONS = {
    "inbox": _(
        "Mentions and replies are not fetched: the Free tier of the X API "
        "cannot read them (Basic or higher can)."
    ),
    "search": _("Searching X needs the Basic tier or higher."),
    "hide": _("Hiding replies needs the Basic tier or higher."),
    "mute": _("Muting accounts needs the Basic tier or higher."),
    "block": _(
        "Blocking accounts through the API is offered in the Enterprise tier only."
    ),
}
ALWAYS = [
    _("Editing published posts is not offered to Leitstelle by the X API."),
    _("Direct messages are not handled for X."),
]


def capabilities(tier: str) -> Capabilities:
    return TIERS.get(tier, FREE)


def unavailable_reasons(tier: str) -> list[str]:
    """Return, in plain words, what the tier leaves out."""
    allowed = capabilities(tier)
    missing = [
        str(text) for flag, text in REASONS.items() if not getattr(allowed, flag)
    ]
    return missing + [str(text) for text in ALWAYS]
