"""Turn Telegram updates into inbox items.

Comments on a channel post live in the channel's linked discussion group:
Telegram forwards each post there automatically (`is_automatic_forward`,
https://core.telegram.org/bots/api#message) and comments are group messages
replying to that forward, in its thread (`message_thread_id`). Direct
messages to the bot arrive from private chats. Remote ids are
"<chat id>:<message id>" because message ids count per chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leitstelle.networks.base import IncomingItem, ItemKind
from leitstelle.networks.payloads import (
    PayloadError,
    dig,
    need_dict,
    need_str,
    opt_dict,
    opt_str,
)

THREADS_KEPT = 500


def remote_id(chat_id: Any, message_id: Any) -> str:
    return f"{chat_id}:{message_id}"


def split_remote_id(value: str) -> tuple[str, list[int]]:
    """Return the chat and its message ids ("chat:id" or "chat:id,id,...")."""
    chat, _, ids = value.rpartition(":")
    try:
        return chat, [int(part) for part in ids.split(",")]
    except ValueError:
        raise ValueError(f"not a Telegram message id: {value!r}") from None


def moment(value: Any) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError("date is missing or not a number")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(f"date {value} is not a time") from None


@dataclass
class Context:
    """What the parser needs to know about the channel, and learns on the way."""

    channel_id: str
    group_id: str
    bot_id: str
    # discussion-group message id of an automatic forward -> channel post id
    threads: dict[str, str] = field(default_factory=dict)

    def learn(self, message: dict[str, Any]) -> None:
        """Remember which channel post an automatic forward in the group is."""
        origin = opt_dict(message, "forward_origin")
        post = origin.get("message_id") or message.get("forward_from_message_id")
        if isinstance(post, int) and isinstance(message.get("message_id"), int):
            self.threads[str(message["message_id"])] = str(post)
            while len(self.threads) > THREADS_KEPT:
                self.threads.pop(next(iter(self.threads)))


def update_item(update: Any, context: Context) -> IncomingItem | None:
    """Return the update's comment or direct message; None if it is neither."""
    update = need_dict(update)
    message = update.get("message") or update.get("edited_message")
    if message is None:
        return None
    message = need_dict(message)
    chat = need_dict(message, "chat")
    chat_id = need_str(chat, "id")
    author = opt_dict(message, "from")
    if (
        opt_str(author, "id") == context.bot_id
        or opt_str(opt_dict(message, "sender_chat"), "id") == context.channel_id
    ):
        return None  # our own messages
    if chat.get("type") == "private":
        kind, parent, root = ItemKind.DIRECT_MESSAGE, "", ""
    elif context.group_id and chat_id == context.group_id:
        if message.get("is_automatic_forward"):
            context.learn(message)
            return None
        kind, parent, root = _in_group(message, context)
    else:
        return None
    return _item(message, chat, kind=kind, parent=parent, root=root)


def _in_group(message: dict[str, Any], context: Context) -> tuple[ItemKind, str, str]:
    answered = opt_dict(message, "reply_to_message")
    if answered.get("is_automatic_forward"):
        context.learn(answered)
    thread = opt_str(message, "message_thread_id") or opt_str(answered, "message_id")
    post = context.threads.get(thread, "")
    root = remote_id(context.channel_id, post) if post else ""
    if not answered:
        return ItemKind.MENTION, "", ""
    if answered.get("is_automatic_forward"):
        return ItemKind.COMMENT, root, root
    return (
        ItemKind.REPLY,
        remote_id(context.group_id, need_str(answered, "message_id")),
        root,
    )


def _item(
    message: dict[str, Any],
    chat: dict[str, Any],
    *,
    kind: ItemKind,
    parent: str,
    root: str,
) -> IncomingItem:
    author = opt_dict(message, "from")
    username = opt_str(author, "username")
    name = " ".join(
        filter(None, [opt_str(author, "first_name"), opt_str(author, "last_name")])
    )
    group = opt_str(chat, "username")
    message_id = need_str(message, "message_id")
    edited = message.get("edit_date")
    return IncomingItem(
        remote_id=remote_id(need_str(chat, "id"), message_id),
        kind=kind,
        text=opt_str(message, "text") or opt_str(message, "caption"),
        created_at=moment(message.get("date")),
        author_id=opt_str(author, "id"),
        author_handle=f"@{username}" if username else "",
        author_name=name,
        author_url=f"https://t.me/{username}" if username else "",
        url=f"https://t.me/{group}/{message_id}" if group else "",
        in_reply_to=parent,
        root_post=root,
        edited_at=moment(edited) if edited is not None else None,
        raw=message,
    )


def update_id(update: Any) -> int | None:
    value = dig(update, "update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
