"""The one interface every social network implements.

A connector talks to one account (`Channel`) on one network. It returns plain
frozen dataclasses, never raw API JSON (the raw payload rides along in
`IncomingItem.raw` for evidence), and turns every network error into one of
the few typed errors below, which the rest of the product handles uniformly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from leitstelle.networks.models import Channel


class ConnectorError(Exception):
    """A network refused or failed; `message` is plain language for the UI."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class AuthExpired(ConnectorError):
    """The token was revoked or expired: an admin must re-authorise."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class RateLimited(ConnectorError):
    """The network asks to wait; `retry_after` in seconds when it says so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ContentRejected(ConnectorError):
    """The network refused this content; `reason` is the network's own word."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message, permanent=True)
        self.reason = reason


class Unavailable(ConnectorError):
    """The network is down, timed out or answered with a server error."""


class Counting(StrEnum):
    CHARACTERS = "characters"  # Unicode code points
    GRAPHEMES = "graphemes"  # user-perceived characters (Bluesky)
    WEIGHTED = "weighted"  # X: CJK and emoji weigh 2, URLs a fixed length
    UTF16 = "utf16"  # UTF-16 code units (Telegram)


@dataclass(frozen=True)
class TextRules:
    max_length: int
    counting: Counting = Counting.CHARACTERS
    url_length: int | None = None  # every URL counts as this many, if set
    max_caption_length: int | None = None  # text with media, if it differs


@dataclass(frozen=True)
class MediaRules:
    image_types: tuple[str, ...] = ("image/jpeg", "image/png")
    max_image_bytes: int = 5 * 1024 * 1024
    max_images: int = 4
    video_types: tuple[str, ...] = ()
    max_video_bytes: int = 0
    max_video_seconds: int = 0
    requires_media: bool = False
    alt_text_length: int = 1000


@dataclass(frozen=True)
class Capabilities:
    publish: bool = True
    edit: bool = False
    delete: bool = True  # our own posts
    delete_comments: bool = False  # other people's comments under our posts
    reply: bool = True
    threads: bool = False
    hide: bool = False
    block: bool = False
    mute: bool = False
    direct_messages: bool = False
    search: bool = False
    metrics: bool = False
    inbox: bool = True


@dataclass(frozen=True)
class Account:
    """Who a channel is on its network, as the network reports it."""

    remote_id: str
    handle: str
    display_name: str
    avatar_url: str = ""
    profile_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Media:
    content: bytes
    mime_type: str
    alt_text: str = ""
    filename: str = ""


@dataclass(frozen=True)
class OutgoingPost:
    text: str
    media: tuple[Media, ...] = ()
    reply_to: str | None = None  # remote id of the post answered
    idempotency_key: str = ""


@dataclass(frozen=True)
class RemotePost:
    remote_id: str
    url: str = ""
    published_at: datetime | None = None


class ItemKind(StrEnum):
    COMMENT = "comment"  # on one of our posts
    REPLY = "reply"  # deeper in a thread under our post
    MENTION = "mention"
    QUOTE = "quote"
    DIRECT_MESSAGE = "direct_message"


@dataclass(frozen=True)
class IncomingItem:
    """One comment, reply, mention or message as the inbox stores it."""

    remote_id: str
    kind: ItemKind
    text: str
    created_at: datetime
    author_id: str
    author_handle: str
    author_name: str = ""
    author_avatar_url: str = ""
    author_url: str = ""
    url: str = ""
    in_reply_to: str = ""  # remote id of the parent item or post
    root_post: str = ""  # remote id of our post the thread belongs to
    media_urls: tuple[str, ...] = ()
    edited_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Quarantined:
    """A payload that could not be parsed, kept with the reason."""

    reason: str
    raw: Any


@dataclass(frozen=True)
class InteractionPage:
    items: tuple[IncomingItem, ...]
    cursor: dict[str, Any]  # JSON-serialisable; pass back on the next call
    quarantined: tuple[Quarantined, ...] = ()
    has_more: bool = False


@dataclass(frozen=True)
class PostMetrics:
    remote_id: str
    likes: int | None = None
    shares: int | None = None
    replies: int | None = None
    reach: int | None = None


@dataclass(frozen=True)
class Metrics:
    followers: int | None
    posts: tuple[PostMetrics, ...] = ()


class Connector:
    """Base class for one social network; one instance per channel."""

    kind: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()
    text_rules: ClassVar[TextRules] = TextRules(max_length=500)
    media_rules: ClassVar[MediaRules] = MediaRules()

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def unavailable_reasons(self) -> list[str]:
        """Say in plain words what this channel cannot do (e.g. its plan)."""
        return []

    def verify(self) -> Account:
        """Return the account the credentials belong to, or raise."""
        raise NotImplementedError

    def publish(self, post: OutgoingPost) -> RemotePost:
        raise NotImplementedError

    def find_published(
        self, idempotency_key: str, *, post: OutgoingPost | None = None
    ) -> RemotePost | None:
        """Return our post carrying `idempotency_key` if the network has it.

        Networks that keep no key (Graph API, X, Threads) compare `post`'s
        text with the account's recent posts instead, so pass the post.
        """
        raise NotImplementedError

    def edit(self, remote_id: str, post: OutgoingPost) -> RemotePost:
        raise NotImplementedError

    def delete(self, remote_id: str) -> None:
        raise NotImplementedError

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        raise NotImplementedError

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        raise NotImplementedError

    def hide(self, remote_id: str) -> None:
        raise NotImplementedError

    def unhide(self, remote_id: str) -> None:
        raise NotImplementedError

    def block(self, author_id: str) -> None:
        raise NotImplementedError

    def mute(self, author_id: str) -> None:
        raise NotImplementedError

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        raise NotImplementedError

    def search(self, query: str) -> tuple[IncomingItem, ...]:
        raise NotImplementedError
