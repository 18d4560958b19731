"""The exercise connector: every operation against the database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    ItemKind,
    Media,
    OutgoingPost,
)
from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.connector import Exercise, parse_page, snapshot
from leitstelle.networks.exercise.models import ExercisePost
from tests.networks.exercise.conftest import JPEG, PNG, WEBP, make_channel

pytestmark = pytest.mark.django_db


def comment(author, parent, text="Eine Frage", **kwargs) -> ExercisePost:
    return services.create_post(account=author, text=text, in_reply_to=parent, **kwargs)


def our_post(channel, text="Zeugenaufruf") -> ExercisePost:
    remote = channel.connector.publish(OutgoingPost(text=text))
    return ExercisePost.objects.get(pk=remote.remote_id)


# Access


def test_it_is_the_connector_registered_for_exercise_channels(channel):
    assert type(channel.connector) is Exercise


def test_it_verifies_the_account(channel, police):
    account = channel.connector.verify()
    assert account.remote_id == str(police.pk)
    assert account.handle == "polizei_test"
    assert account.display_name == "Polizei Test"
    assert account.profile_url.endswith("/uebungsnetz/polizei_test/")


def test_it_treats_a_wrong_token_as_expired_access(police):
    channel = make_channel(police, token="not-the-token")
    with pytest.raises(AuthExpired, match="no longer accepts"):
        channel.connector.verify()


def test_it_treats_a_token_of_another_account_as_expired_access(police, citizen):
    channel = make_channel(police, token=services.issue_token(account=citizen))
    with pytest.raises(AuthExpired):
        channel.connector.publish(OutgoingPost(text="Hallo"))


def test_it_refuses_every_operation_with_a_wrong_token(police):
    connector = make_channel(police, token="wrong").connector
    with pytest.raises(AuthExpired):
        connector.fetch_interactions({})
    assert not ExercisePost.objects.exists()


# Publishing


def test_it_publishes_text(channel, police):
    remote = channel.connector.publish(OutgoingPost(text="Guten Morgen, Dresden!"))
    post = ExercisePost.objects.get(pk=remote.remote_id)
    assert (post.account, post.text) == (police, "Guten Morgen, Dresden!")
    assert remote.url.endswith(f"/uebungsnetz/polizei_test/{post.pk}/")
    assert remote.published_at == post.created_at


def test_it_publishes_images_with_their_alt_text(channel, media_root: Path):
    media = (
        Media(JPEG, "image/jpeg", alt_text="Ein Streifenwagen"),
        Media(PNG, "image/png", alt_text="Eine Karte"),
        Media(WEBP, "image/webp"),
    )
    remote = channel.connector.publish(OutgoingPost(text="Bilder", media=media))
    stored = list(ExercisePost.objects.get(pk=remote.remote_id).media.all())
    assert [m.mime_type for m in stored] == ["image/jpeg", "image/png", "image/webp"]
    assert [m.alt_text for m in stored] == ["Ein Streifenwagen", "Eine Karte", ""]
    assert (media_root / stored[0].file.name).read_bytes() == JPEG
    assert stored[0].file.name.startswith("exercise/")


def test_it_trusts_the_bytes_not_the_declared_type(channel):
    fake = Media(b"<svg onload=alert(1)>", "image/png")
    with pytest.raises(ContentRejected, match="Only JPEG, PNG and WebP"):
        channel.connector.publish(OutgoingPost(text="Bild", media=(fake,)))


def test_it_refuses_a_fifth_image(channel):
    media = tuple(Media(PNG, "image/png") for _ in range(5))
    with pytest.raises(ContentRejected, match="At most 4 images"):
        channel.connector.publish(OutgoingPost(text="Bilder", media=media))
    assert not ExercisePost.objects.exists()


def test_it_refuses_an_image_over_8_mb(channel):
    big = Media(PNG + b"\x00" * services.MAX_IMAGE_BYTES, "image/png")
    with pytest.raises(ContentRejected, match="8 MB"):
        channel.connector.publish(OutgoingPost(text="Groß", media=(big,)))


def test_it_refuses_text_over_500_characters_with_the_reason(channel):
    with pytest.raises(ContentRejected) as caught:
        channel.connector.publish(OutgoingPost(text="x" * 501))
    assert caught.value.reason == (
        "The text has 501 characters; at most 500 are allowed."
    )


def test_it_counts_every_url_as_23_characters(channel):
    url = "https://www.polizei.sachsen.de/" + "a" * 200
    text = "x" * 477 + url
    assert services.text_length(text) == 500
    assert channel.connector.publish(OutgoingPost(text=text)).remote_id


def test_it_refuses_an_empty_post(channel):
    with pytest.raises(ContentRejected, match="needs text or an image"):
        channel.connector.publish(OutgoingPost(text="  "))


def test_its_rules_say_what_the_network_accepts():
    assert Exercise.text_rules.max_length == 500
    assert Exercise.text_rules.url_length == 23
    assert Exercise.media_rules.max_images == 4
    assert Exercise.media_rules.max_image_bytes == 8 * 1024 * 1024
    assert "image/webp" in Exercise.media_rules.image_types
    assert not Exercise.capabilities.direct_messages
    assert Exercise.capabilities.search


# Idempotency


def test_it_publishes_once_per_idempotency_key(channel):
    post = OutgoingPost(text="Einmal", idempotency_key="pub-1")
    first = channel.connector.publish(post)
    again = channel.connector.publish(post)
    assert first.remote_id == again.remote_id
    assert ExercisePost.objects.count() == 1


def test_it_finds_a_post_by_its_idempotency_key(channel):
    remote = channel.connector.publish(OutgoingPost(text="A", idempotency_key="k-7"))
    assert channel.connector.find_published("k-7") == remote


def test_it_finds_nothing_for_an_unknown_idempotency_key(channel):
    channel.connector.publish(OutgoingPost(text="A", idempotency_key="k-7"))
    assert channel.connector.find_published("k-8") is None
    assert channel.connector.find_published("") is None


def test_it_finds_only_its_own_posts_by_key(channel, citizen):
    services.create_post(account=citizen, text="Fremd", idempotency_key="k-1")
    assert channel.connector.find_published("k-1") is None


# Editing and deleting


def test_it_edits_text_and_marks_it_edited(channel):
    post = our_post(channel)
    remote = channel.connector.edit(str(post.pk), OutgoingPost(text="Korrigiert"))
    post.refresh_from_db()
    assert remote.remote_id == str(post.pk)
    assert post.text == "Korrigiert"
    assert post.edited_at is not None


def test_it_replaces_the_images_when_editing_with_new_ones(channel):
    remote = channel.connector.publish(
        OutgoingPost(text="Bild", media=(Media(PNG, "image/png", alt_text="alt"),))
    )
    new = OutgoingPost(text="Bild", media=(Media(JPEG, "image/jpeg", alt_text="neu"),))
    channel.connector.edit(remote.remote_id, new)
    post = ExercisePost.objects.get(pk=remote.remote_id)
    assert [m.alt_text for m in post.media.all()] == ["neu"]


def test_it_refuses_to_edit_another_accounts_post(channel, citizen):
    foreign = services.create_post(account=citizen, text="Meins")
    with pytest.raises(ContentRejected, match="another account"):
        channel.connector.edit(str(foreign.pk), OutgoingPost(text="Gehackt"))
    foreign.refresh_from_db()
    assert foreign.text == "Meins"


def test_it_deletes_by_marking_the_post(channel):
    post = our_post(channel)
    channel.connector.delete(str(post.pk))
    post.refresh_from_db()
    assert post.deleted_at is not None


def test_it_deletes_a_comment_in_its_own_thread(channel, citizen):
    spam = comment(citizen, our_post(channel), text="Billige Uhren!")
    channel.connector.delete(str(spam.pk))
    spam.refresh_from_db()
    assert spam.deleted_at is not None


def test_it_refuses_to_delete_someone_elses_post(channel, citizen):
    theirs = services.create_post(account=citizen, text="Mein eigener Beitrag")
    with pytest.raises(ContentRejected, match="belongs to another account"):
        channel.connector.delete(str(theirs.pk))


def test_it_refuses_to_delete_a_missing_post(channel):
    with pytest.raises(ContentRejected, match="There is no post 999"):
        channel.connector.delete("999")


def test_it_still_finds_a_deleted_post_by_its_key(channel):
    """A deleted post was published: publishing again would duplicate it."""
    remote = channel.connector.publish(OutgoingPost(text="A", idempotency_key="k"))
    channel.connector.delete(remote.remote_id)
    assert channel.connector.find_published("k") == remote


# Replies and threads


def test_it_replies_to_a_comment_in_its_thread(channel, citizen):
    post = our_post(channel)
    question = comment(citizen, post)
    remote = channel.connector.reply(str(question.pk), OutgoingPost(text="Danke!"))
    answer = ExercisePost.objects.get(pk=remote.remote_id)
    assert answer.in_reply_to == question
    assert answer.root == post


def test_it_refuses_a_reply_to_a_deleted_post(channel, citizen):
    question = comment(citizen, our_post(channel))
    services.delete_post(post=question)
    with pytest.raises(ContentRejected, match="There is no post"):
        channel.connector.reply(str(question.pk), OutgoingPost(text="Hallo?"))


def test_it_hides_and_unhides_a_comment(channel, citizen):
    insult = comment(citizen, our_post(channel), text="Beleidigung")
    channel.connector.hide(str(insult.pk))
    insult.refresh_from_db()
    assert insult.hidden_at is not None
    channel.connector.unhide(str(insult.pk))
    insult.refresh_from_db()
    assert insult.hidden_at is None


def test_it_refuses_to_hide_a_post_outside_its_threads(channel, citizen):
    foreign = services.create_post(account=citizen, text="Eigener Beitrag")
    with pytest.raises(ContentRejected, match="own threads"):
        channel.connector.hide(str(foreign.pk))


def test_a_blocked_author_cannot_comment_any_more(channel, citizen):
    post = our_post(channel)
    channel.connector.block(str(citizen.pk))
    with pytest.raises(services.ExerciseError, match="has been blocked"):
        comment(citizen, post)


def test_a_blocked_author_cannot_answer_in_our_threads(channel, citizen, db):
    other = services.create_account(handle="nachbarin", display_name="Nachbarin")
    thread_comment = comment(other, our_post(channel))
    channel.connector.block(str(citizen.pk))
    with pytest.raises(services.ExerciseError, match="has been blocked"):
        comment(citizen, thread_comment)


def test_it_refuses_to_block_an_unknown_author(channel):
    with pytest.raises(ContentRejected, match="no account 4711"):
        channel.connector.block("4711")


def test_it_refuses_to_block_itself(channel, police):
    with pytest.raises(ContentRejected, match="itself"):
        channel.connector.block(str(police.pk))


def test_blocking_twice_is_fine(channel, citizen):
    channel.connector.block(str(citizen.pk))
    channel.connector.block(str(citizen.pk))
    assert citizen.pk in services.silenced_authors(channel.connector._account())


# Interactions


def test_it_fetches_comments_replies_and_mentions(channel, citizen):
    post = our_post(channel)
    first = comment(citizen, post, text="Frage")
    answer = channel.connector.reply(str(first.pk), OutgoingPost(text="Antwort"))
    deeper = comment(citizen, ExercisePost.objects.get(pk=answer.remote_id))
    mention = services.create_post(account=citizen, text="Hallo @polizei_test!")
    page = channel.connector.fetch_interactions({})
    kinds = {item.remote_id: item.kind for item in page.items}
    assert kinds == {
        str(first.pk): ItemKind.COMMENT,
        str(deeper.pk): ItemKind.REPLY,
        str(mention.pk): ItemKind.MENTION,
    }


def test_it_fills_every_field_of_an_item(channel, citizen):
    post = our_post(channel)
    first = comment(citizen, post, media=(Media(PNG, "", alt_text="Foto"),))
    item = channel.connector.fetch_interactions({}).items[0]
    assert item.remote_id == str(first.pk)
    assert (item.author_id, item.author_handle) == (str(citizen.pk), "anwohner42")
    assert item.author_name == "Thomas Berger"
    assert item.author_url.endswith("/uebungsnetz/anwohner42/")
    assert item.url.endswith(f"/uebungsnetz/anwohner42/{first.pk}/")
    assert (item.in_reply_to, item.root_post) == (str(post.pk), str(post.pk))
    assert item.text == "Eine Frage"
    assert item.created_at == first.created_at
    media_id = first.media.get().pk
    assert item.media_urls == (f"http://127.0.0.1:8000/uebungsnetz/medien/{media_id}/",)


def test_it_keeps_a_snapshot_of_the_row_as_raw_payload(channel, citizen):
    first = comment(citizen, our_post(channel))
    raw = channel.connector.fetch_interactions({}).items[0].raw
    assert raw["id"] == str(first.pk)
    assert raw["account"]["handle"] == "anwohner42"
    assert raw["hidden"] is False
    assert datetime.fromisoformat(raw["created_at"]) == first.created_at


def test_it_includes_replies_to_our_comments_in_other_threads(channel, citizen):
    foreign = services.create_post(account=citizen, text="Was ist da los?")
    ours = channel.connector.reply(str(foreign.pk), OutgoingPost(text="Ein Einsatz."))
    answer = comment(citizen, ExercisePost.objects.get(pk=ours.remote_id))
    items = channel.connector.fetch_interactions({}).items
    assert [(i.remote_id, i.kind) for i in items] == [(str(answer.pk), ItemKind.REPLY)]


def test_it_leaves_out_its_own_posts_other_threads_and_deleted_comments(
    channel, citizen
):
    post = our_post(channel)
    channel.connector.reply(str(post.pk), OutgoingPost(text="Nachtrag"))
    services.create_post(account=citizen, text="Ganz was anderes")
    gone = comment(citizen, post)
    services.delete_post(post=gone)
    assert channel.connector.fetch_interactions({}).items == ()


def test_it_leaves_out_muted_and_blocked_authors(channel, citizen):
    post = our_post(channel)
    loud = services.create_account(handle="laut", display_name="Laut")
    comment(citizen, post)
    comment(loud, post)
    channel.connector.mute(str(citizen.pk))
    channel.connector.block(str(loud.pk))
    assert channel.connector.fetch_interactions({}).items == ()


def test_a_muted_author_can_still_comment(channel, citizen):
    post = our_post(channel)
    channel.connector.mute(str(citizen.pk))
    assert comment(citizen, post).pk


def test_it_fetches_only_what_is_newer_than_the_cursor(channel, citizen):
    post = our_post(channel)
    comment(citizen, post, text="alt")
    first = channel.connector.fetch_interactions({})
    newer = comment(citizen, post, text="neu")
    second = channel.connector.fetch_interactions(first.cursor)
    assert [item.remote_id for item in second.items] == [str(newer.pk)]
    assert second.cursor == {"after_id": newer.pk}


def test_it_keeps_the_cursor_when_nothing_is_new(channel, citizen):
    last = comment(citizen, our_post(channel))
    page = channel.connector.fetch_interactions({"after_id": last.pk})
    assert (page.items, page.cursor, page.has_more) == (
        (),
        {"after_id": last.pk},
        False,
    )


def test_it_starts_from_the_beginning_with_a_garbled_cursor(channel, citizen):
    comment(citizen, our_post(channel))
    assert len(channel.connector.fetch_interactions({"after_id": "x"}).items) == 1


def test_it_pages_through_250_comments_in_order(channel, citizen):
    post = our_post(channel)
    ExercisePost.objects.bulk_create(
        ExercisePost(
            account=citizen, text=f"Kommentar {n}", in_reply_to=post, root=post
        )
        for n in range(250)
    )
    pages, cursor = [], {}
    for _ in range(3):
        page = channel.connector.fetch_interactions(cursor)
        pages.append(page)
        cursor = page.cursor
    assert [len(page.items) for page in pages] == [100, 100, 50]
    assert [page.has_more for page in pages] == [True, True, False]
    texts = [item.text for page in pages for item in page.items]
    assert texts == [f"Kommentar {n}" for n in range(250)]


def test_it_quarantines_a_malformed_payload_with_its_reason(channel, citizen):
    raw = snapshot(comment(citizen, our_post(channel)))
    broken = {**raw, "text": None}
    items, quarantined = parse_page([raw, broken], str(channel.remote_id))
    assert [item.remote_id for item in items] == [raw["id"]]
    assert quarantined[0].raw is broken
    assert quarantined[0].reason == "TypeError: text is NoneType, not a string"


payload_values = st.one_of(
    st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


@given(
    raw=st.one_of(
        payload_values,
        st.dictionaries(
            st.sampled_from(
                ["id", "text", "created_at", "account", "root_id", "root_account_id",
                 "in_reply_to_id", "in_reply_to_account_id", "url",
                 "media_attachments", "extra"]
            ),
            payload_values,
        ),
    )
)  # fmt: skip
def test_it_never_crashes_on_an_odd_payload(raw):
    items, quarantined = parse_page([raw], "1")
    assert len(items) + len(quarantined) == 1


# Metrics and search


def test_it_reports_followers_and_per_post_figures(channel, police, citizen):
    police.followers = 1234
    police.save()
    post = our_post(channel)
    ExercisePost.objects.filter(pk=post.pk).update(likes=7, shares=2)
    comment(citizen, post)
    services.delete_post(post=comment(citizen, post))
    metrics = channel.connector.fetch_metrics()
    assert metrics.followers == 1234
    figures = metrics.posts[0]
    assert (figures.remote_id, figures.likes, figures.shares) == (str(post.pk), 7, 2)
    assert figures.replies == 1


def test_it_reports_figures_of_the_posts_asked_for(channel):
    first, second = our_post(channel, "eins"), our_post(channel, "zwei")
    metrics = channel.connector.fetch_metrics((str(first.pk), "kaputt"))
    assert [p.remote_id for p in metrics.posts] == [str(first.pk)]
    assert str(second.pk) not in [p.remote_id for p in metrics.posts]


def test_it_searches_other_accounts_posts(channel, citizen):
    hit = services.create_post(account=citizen, text="Es riecht nach GAS im Keller")
    services.create_post(account=citizen, text="Alles ruhig")
    channel.connector.publish(OutgoingPost(text="Gasgeruch? Rufen Sie 112."))
    found = channel.connector.search("gas")
    assert [item.remote_id for item in found] == [str(hit.pk)]


def test_it_leaves_deleted_posts_out_of_search(channel, citizen):
    services.delete_post(post=services.create_post(account=citizen, text="Gas"))
    assert channel.connector.search("Gas") == ()


def test_it_finds_nothing_for_an_empty_search(channel, citizen):
    services.create_post(account=citizen, text="Irgendwas")
    assert channel.connector.search("  ") == ()
