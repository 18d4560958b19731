"""Telegram channels through a bot, comments through the discussion group.

Reference: https://core.telegram.org/bots/api. The bot must be an
administrator of the channel (to post) and of the linked discussion group
(to read comments despite privacy mode, and to ban).
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from leitstelle.networks.base import (
    Account,
    Capabilities,
    Connector,
    ConnectorError,
    ContentRejected,
    Counting,
    InteractionPage,
    MediaRules,
    Metrics,
    OutgoingPost,
    RemotePost,
    TextRules,
    Unavailable,
)
from leitstelle.networks.payloads import dig, parse_each
from leitstelle.networks.telegram.client import API_URL, NETWORK, BotClient
from leitstelle.networks.telegram.parse import (
    Context,
    moment,
    remote_id,
    split_remote_id,
    update_id,
    update_item,
)

UPDATES = ["message", "edited_message", "channel_post"]
BATCH = 100
ADMINS = ("creator", "administrator")
MEMBERS = (*ADMINS, "member")


class Telegram(Connector):
    kind = "telegram"
    label = "Telegram"
    capabilities = Capabilities(
        edit=True, block=True, direct_messages=True, metrics=True, delete_comments=True
    )
    # https://core.telegram.org/bots/api#sendmessage: 4,096 characters,
    # captions 1,024 (counted in UTF-16 code units); sendMediaGroup takes up to
    # 10 photos of 10 MB. Telegram has no alt text for images.
    text_rules = TextRules(
        max_length=4096, counting=Counting.UTF16, max_caption_length=1024
    )
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/webp"),
        max_image_bytes=10 * 1024 * 1024,
        max_images=10,
        alt_text_length=0,
    )

    @cached_property
    def bot(self) -> BotClient:
        token = self.channel.credentials["bot_token"]
        return BotClient(token, self.channel.config.get("api_url") or API_URL)

    @property
    def chat_id(self) -> str:
        return str(self.channel.config.get("chat_id") or self.channel.config["channel"])

    @property
    def group_id(self) -> str:
        return str(self.channel.config.get("discussion_group_id") or "")

    def verify(self) -> Account:
        """Check the bot may post in the channel and read its discussion group."""
        me = self.bot.call("getMe")
        chat = self.bot.call("getChat", chat_id=self.channel.config["channel"])
        if dig(chat, "type") != "channel":
            raise ConnectorError(
                f"{NETWORK}: {dig(chat, 'title')} is not a channel.", permanent=True
            )
        self._check_member(chat["id"], me, ADMINS, task="post in the channel")
        group = self.channel.config.get("discussion_group_id") or chat.get(
            "linked_chat_id"
        )
        if group:
            # Without privacy mode a member reads everything; else only admins.
            allowed = (
                MEMBERS if dig(me, "can_read_all_group_messages") is True else ADMINS
            )
            self._check_member(group, me, allowed, task="read the discussion group")
        self.channel.config.update(
            chat_id=chat["id"], discussion_group_id=group or None
        )
        username = str(chat.get("username") or "")
        return Account(
            remote_id=str(chat["id"]),
            handle=f"@{username}" if username else str(chat.get("title") or chat["id"]),
            display_name=str(chat.get("title") or username),
            profile_url=f"https://t.me/{username}" if username else "",
            extra={
                "bot": f"@{dig(me, 'username')}",
                "discussion_group_id": group or None,
            },
        )

    def _check_member(
        self, chat_id: Any, me: Any, allowed: tuple[str, ...], *, task: str
    ) -> None:
        member = self.bot.call("getChatMember", chat_id=chat_id, user_id=dig(me, "id"))
        if (
            dig(member, "status") in allowed
            and dig(member, "can_post_messages") is not False
        ):
            return
        role = "an administrator" if allowed == ADMINS else "a member"
        raise ConnectorError(
            f"{NETWORK}: the bot @{dig(me, 'username')} must be {role} "
            f"allowed to {task} (it is {dig(member, 'status')}).",
            permanent=True,
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        reply_to = split_remote_id(post.reply_to)[1][0] if post.reply_to else None
        return self._send(self.chat_id, post, reply_to=reply_to)

    def _send(
        self, chat_id: str, post: OutgoingPost, *, reply_to: int | None
    ) -> RemotePost:
        reply = {"reply_parameters": {"message_id": reply_to}} if reply_to else {}
        form = {"chat_id": chat_id, **{k: json.dumps(v) for k, v in reply.items()}}
        files = {
            f"photo{index}": (media.filename or "photo", media.content, media.mime_type)
            for index, media in enumerate(post.media)
        }
        if not post.media:
            sent = [
                self.bot.call("sendMessage", chat_id=chat_id, text=post.text, **reply)
            ]
        elif len(post.media) == 1:
            form["caption"] = post.text
            sent = [
                self.bot.upload(
                    "sendPhoto", data=form, files={"photo": files["photo0"]}
                )
            ]
        else:
            album = [{"type": "photo", "media": f"attach://{name}"} for name in files]
            album[0]["caption"] = post.text
            form["media"] = json.dumps(album)
            sent = self.bot.upload("sendMediaGroup", data=form, files=files)
        return self._remote(chat_id, sent)

    def _remote(self, chat_id: str, messages: Any) -> RemotePost:
        ids = (
            [dig(message, "message_id") for message in messages]
            if isinstance(messages, list)
            else []
        )
        if not ids or not all(isinstance(i, int) for i in ids):
            raise Unavailable(f"{NETWORK} answered without the message id.")
        chat = dig(messages[0], "chat", "username")
        try:
            published = moment(dig(messages[0], "date"))
        except ValueError:
            published = None
        return RemotePost(
            remote_id=remote_id(
                dig(messages[0], "chat", "id") or chat_id, ",".join(map(str, ids))
            ),
            url=f"https://t.me/{chat}/{ids[0]}" if chat else "",
            published_at=published,
        )

    def find_published(
        self, idempotency_key: str, *, post: OutgoingPost | None = None
    ) -> RemotePost | None:
        """Bots cannot read a channel's history, so a post cannot be looked up."""
        raise NotImplementedError(
            "Telegram bots cannot read back what a channel published."
        )

    def edit(self, remote_id: str, post: OutgoingPost) -> RemotePost:
        """Edit the text, or the caption of a photo post (not the photos)."""
        if post.media:
            raise ContentRejected(
                f"{NETWORK}: the photos of a sent post stay as they are.",
                reason="media",
            )
        chat, ids = split_remote_id(remote_id)
        try:
            self.bot.call(
                "editMessageText", chat_id=chat, message_id=ids[0], text=post.text
            )
        except ContentRejected as exc:
            if "no text in the message" not in exc.reason:
                raise
            self.bot.call(
                "editMessageCaption", chat_id=chat, message_id=ids[0], caption=post.text
            )
        return RemotePost(remote_id=remote_id)

    def delete(self, remote_id: str) -> None:
        chat, ids = split_remote_id(remote_id)
        if len(ids) == 1:
            self.bot.call("deleteMessage", chat_id=chat, message_id=ids[0])
        else:
            self.bot.call("deleteMessages", chat_id=chat, message_ids=ids)

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        """Read updates from `offset` on: comments in the group, messages to the bot.

        The cursor keeps the next offset (Telegram forgets updates below it)
        and which group message is the forward of which channel post.
        """
        context = Context(
            channel_id=str(self.channel.config.get("chat_id", "")),
            group_id=self.group_id,
            bot_id=self.channel.credentials["bot_token"].split(":")[0],
            threads=dict(cursor.get("threads") or {}),
        )
        offset = cursor.get("offset")
        updates = self.bot.call(
            "getUpdates", offset=offset, limit=BATCH, timeout=0, allowed_updates=UPDATES
        )
        updates = updates if isinstance(updates, list) else []
        items, quarantined = parse_each(
            updates, lambda update: update_item(update, context)
        )
        seen = [number for number in map(update_id, updates) if number is not None]
        next_offset = max(seen) + 1 if seen else offset
        new_cursor = {
            "threads": context.threads,
            **({"offset": next_offset} if next_offset else {}),
        }
        return InteractionPage(
            items=tuple(items),
            cursor=new_cursor,
            quarantined=tuple(quarantined),
            has_more=len(updates) >= BATCH,
        )

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        """Answer in the chat of the message: the group thread or the private chat."""
        chat, ids = split_remote_id(to_remote_id)
        return self._send(chat, post, reply_to=ids[0])

    def block(self, author_id: str) -> None:
        """Ban the person from the discussion group, so they cannot comment."""
        if not self.group_id:
            raise ContentRejected(
                f"{NETWORK}: without a discussion group nobody can be banned.",
                reason="no group",
            )
        self.bot.call("banChatMember", chat_id=self.group_id, user_id=int(author_id))

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        """Return the subscriber count; the Bot API tells no views per post."""
        count = self.bot.call("getChatMemberCount", chat_id=self.chat_id)
        return Metrics(followers=count if isinstance(count, int) else None)
