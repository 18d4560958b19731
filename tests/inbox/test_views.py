"""The inbox list and the thread view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from leitstelle.core.models import AuditEvent, Unit
from leitstelle.inbox.models import InteractionRevision, InternalNote, SavedView
from leitstelle.inbox.queries import PAGE_SIZE
from tests.conftest import login_client
from tests.inbox.factories import (
    BASE_TIME,
    AuthorFactory,
    InboxChannelFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db
LIST = reverse("inbox:list")


def detail(item) -> str:
    return reverse("inbox:detail", args=[item.pk])


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302, "anonymous visitor not redirected"
    assert "/anmelden" in response["Location"] or "login" in response["Location"]


def test_it_shows_the_inbox_to_analysts(analyst_client: Client) -> None:
    item = InteractionFactory(text="Ist die Brücke gesperrt?")
    response = analyst_client.get(LIST)
    assert response.status_code == 200, "analyst cannot read the inbox"
    assert "Ist die Brücke gesperrt?" in response.text, "item not listed"
    assert detail(item) in response.text, "no link to the thread"


def test_it_shows_the_empty_state(admin_client: Client) -> None:
    response = admin_client.get(LIST)
    assert "leitstelle demo" in response.text, "no hint how to get items"


def test_it_hides_items_of_channels_the_user_cannot_see(
    analyst_client: Client, analyst
) -> None:
    restricted = InboxChannelFactory()
    restricted.units.add(Unit.objects.create(name="Elsewhere"))
    InteractionFactory(channel=restricted, text="Geheimer Kanal")
    InteractionFactory(text="Offener Kanal")
    response = analyst_client.get(LIST)
    assert "Offener Kanal" in response.text, "open channel's item missing"
    assert "Geheimer Kanal" not in response.text, "restricted item leaked"


def test_it_refuses_the_thread_of_an_invisible_channel(analyst_client) -> None:
    restricted = InboxChannelFactory()
    restricted.units.add(Unit.objects.create(name="Elsewhere"))
    item = InteractionFactory(channel=restricted)
    assert analyst_client.get(detail(item)).status_code == 404, "thread leaked"


def test_it_renders_the_results_partial_for_htmx(admin_client: Client) -> None:
    InteractionFactory(text="Danke für die Info")
    response = admin_client.get(LIST, headers={"HX-Request": "true"})
    assert "Danke für die Info" in response.text, "item missing in partial"
    assert "<html" not in response.text, "htmx got the whole page"
    assert 'id="results"' in response.text, "partial has no target"


def test_it_filters_by_status(admin_client: Client) -> None:
    InteractionFactory(text="Wartet auf Antwort", status="waiting")
    InteractionFactory(text="Ist erledigt", status="closed")
    response = admin_client.get(LIST, {"status": "waiting"})
    assert "Wartet auf Antwort" in response.text, "waiting item missing"
    assert "Ist erledigt" not in response.text, "closed item shown"


def test_it_filters_by_category(admin_client: Client) -> None:
    InteractionFactory(text="Hinweis zum Täter", categories=["tip", "urgent"])
    InteractionFactory(text="Nur Lob", categories=["praise"])
    response = admin_client.get(LIST, {"category": "tip"})
    assert "Hinweis zum Täter" in response.text, "tip missing"
    assert "Nur Lob" not in response.text, "other category shown"


def test_it_filters_by_channel_and_network(admin_client: Client) -> None:
    one = InteractionFactory(text="Auf Kanal eins")
    InteractionFactory(text="Auf Kanal zwei")
    response = admin_client.get(
        LIST, {"channel": one.channel.pk, "network": "exercise"}
    )
    assert "Auf Kanal eins" in response.text, "channel's item missing"
    assert "Auf Kanal zwei" not in response.text, "other channel shown"


def test_it_filters_mine_and_unassigned(admin_client: Client, admin_user) -> None:
    InteractionFactory(text="Meins", assignee=admin_user)
    InteractionFactory(text="Niemandes")
    mine = admin_client.get(LIST, {"assignee": "me"}).text
    unassigned = admin_client.get(LIST, {"assignee": "none"}).text
    assert "Meins" in mine and "Niemandes" not in mine, "Mine view wrong"
    assert "Niemandes" in unassigned and "Meins" not in unassigned, "Unassigned wrong"


def test_it_filters_urgent_items_by_priority(admin_client: Client) -> None:
    InteractionFactory(text="Sehr dringend", priority=5)
    InteractionFactory(text="Kann warten", priority=1)
    response = admin_client.get(LIST, {"priority_min": 3})
    assert "Sehr dringend" in response.text, "urgent item missing"
    assert "Kann warten" not in response.text, "low priority shown"


def test_it_filters_by_date_range_language_and_post(admin_client: Client) -> None:
    InteractionFactory(text="Alt", remote_created_at=BASE_TIME - timedelta(days=10))
    InteractionFactory(text="Passt genau", language="de", root_post="p9")
    InteractionFactory(text="Andere Sprache", language="en", root_post="p9")
    response = admin_client.get(
        LIST,
        {"date_from": BASE_TIME.date(), "language": "de", "root_post": "p9"},
    )
    assert "Passt genau" in response.text, "matching item missing"
    assert "Alt" not in response.text.replace("Alter", ""), "old item shown"
    assert "Andere Sprache" not in response.text, "other language shown"


def test_it_reports_invalid_filters_and_keeps_the_valid_ones(admin_client) -> None:
    InteractionFactory(text="Offen", status="open")
    InteractionFactory(text="Geschlossen", status="closed")
    response = admin_client.get(
        LIST, {"status": "open", "date_from": "2026-02-02", "date_to": "2026-01-01"}
    )
    assert response.status_code == 200, "invalid filter broke the page"
    assert response.context["form"].errors["date_to"], "no error on the end date"
    assert 'role="alert"' in response.text, "no error shown"
    assert "Geschlossen" not in response.text, "valid status filter dropped"


def test_it_pages_with_a_cursor_without_gaps_or_repeats(admin_client) -> None:
    channel = InboxChannelFactory()
    author = AuthorFactory(channel=channel)
    # Equal timestamps test the id tie-break of the cursor.
    for n in range(PAGE_SIZE + 10):
        InteractionFactory(
            channel=channel,
            author=author,
            text=f"Eintrag Nummer {n:03d}",
            remote_created_at=BASE_TIME + timedelta(minutes=n // 3),
        )
    first = admin_client.get(LIST)
    older = first.context["page"].older
    assert older, "no cursor to older items"
    second = admin_client.get(LIST, {"before": older})
    shown = [i.pk for i in first.context["page"].items + second.context["page"].items]
    assert len(shown) == PAGE_SIZE + 10, "items lost between pages"
    assert len(set(shown)) == len(shown), "items repeated between pages"
    back = admin_client.get(LIST, {"after": second.context["page"].newer})
    assert [i.pk for i in back.context["page"].items] == shown[:PAGE_SIZE], "newer"


def test_it_ignores_a_malformed_cursor(admin_client: Client) -> None:
    InteractionFactory(text="Trotzdem da")
    response = admin_client.get(LIST, {"before": "x.y';--"})
    assert "Trotzdem da" in response.text, "malformed cursor broke the list"


def test_it_lists_with_few_queries(
    admin_client: Client, django_assert_max_num_queries
) -> None:
    for _ in range(30):
        InteractionFactory(categories=["tip"])
    # Constant: session, user, organisation, channels, workers, campaigns,
    # items, the navigation's counts, saved views; none per item.
    with django_assert_max_num_queries(15):
        response = admin_client.get(LIST)
    assert len(response.context["page"].items) == 30, "items missing"


def test_it_shows_the_whole_thread_in_order(admin_client: Client) -> None:
    first = InteractionFactory(text="Erste Frage", root_post="p1")
    later = InteractionFactory(
        channel=first.channel,
        text="Spätere Antwort",
        root_post="p1",
        remote_created_at=first.remote_created_at + timedelta(hours=1),
    )
    InteractionFactory(channel=first.channel, text="Anderer Thread", root_post="p2")
    response = admin_client.get(detail(later))
    text = response.text
    assert text.index("Erste Frage") < text.index("Spätere Antwort"), "out of order"
    assert "Anderer Thread" not in text, "other thread shown"
    assert 'aria-current="true"' in text, "selected item not marked"


def test_it_shows_the_edit_history(admin_client: Client) -> None:
    item = InteractionFactory(text="Neuer Text")
    InteractionRevision.objects.create(interaction=item, text="Alter Wortlaut")
    response = admin_client.get(detail(item))
    assert "Alter Wortlaut" in response.text, "revision not shown"


def test_it_shows_the_authors_history_with_hidden_count(admin_client) -> None:
    item = InteractionFactory(text="Jetzt")
    InteractionFactory(
        channel=item.channel, author=item.author, text="Früher", root_post="p7"
    )
    InteractionFactory(
        channel=item.channel,
        author=item.author,
        root_post="p8",
        hidden_at=BASE_TIME,
    )
    response = admin_client.get(detail(item))
    assert "Früher" in response.text, "earlier item missing"
    assert response.context["history_counts"] == {"total": 2, "hidden": 1}


def test_it_adds_an_internal_note_and_audits_it(client, community_manager) -> None:
    item = InteractionFactory()
    login_client(client, community_manager)
    response = client.post(
        reverse("inbox:add_note", args=[item.pk]), {"text": "Bitte Pressestelle"}
    )
    assert response.status_code == 302, "note not accepted"
    note = InternalNote.objects.get(interaction=item)
    assert note.author == community_manager, "note has the wrong author"
    event = AuditEvent.objects.get(action="inbox.note_added")
    assert event.details["note"] == note.pk, "audit entry does not name the note"
    assert "Bitte Pressestelle" in client.get(detail(item)).text, "note not shown"


def test_it_refuses_notes_from_analysts(analyst_client: Client) -> None:
    item = InteractionFactory()
    response = analyst_client.post(
        reverse("inbox:add_note", args=[item.pk]), {"text": "Hallo"}
    )
    assert response.status_code == 403, "analyst added a note"
    assert not InternalNote.objects.exists(), "note stored anyway"


def test_it_rejects_an_empty_note_and_shows_why(admin_client: Client) -> None:
    item = InteractionFactory()
    response = admin_client.post(
        reverse("inbox:add_note", args=[item.pk]), {"text": "   "}
    )
    assert response.status_code == 400, "empty note accepted"
    assert response.context["note_form"].errors["text"], "no error on the field"
    assert 'class="errorlist' in response.text, "error not shown"
    assert not InternalNote.objects.exists(), "empty note stored"


def test_it_hides_the_note_form_from_readers(analyst_client: Client) -> None:
    item = InteractionFactory()
    response = analyst_client.get(detail(item))
    assert "inbox-note-form" not in response.text, "analyst sees the note form"


def test_it_links_an_item_to_the_list_of_its_post(admin_client: Client) -> None:
    InteractionFactory(root_post="post 7&x")
    response = admin_client.get(LIST)
    assert f'href="{LIST}?root_post=post+7%26x"' in response.text, "no post link"


def test_it_says_when_an_author_writes_for_the_first_time(
    admin_client, settings
) -> None:
    settings.LANGUAGE_CODE = "de"
    item = InteractionFactory()
    response = admin_client.get(reverse("inbox:detail", args=[item.pk]))
    assert (
        "Dies ist der erste Beitrag dieser Person auf diesem Kanal."
        in response.content.decode()
    )


def test_it_marks_each_row_for_the_keyboard(analyst_client: Client) -> None:
    item = InteractionFactory()
    text = analyst_client.get(LIST).text
    assert f'data-item-id="{item.pk}"' in text, "row has no item id"
    assert f'data-href="{detail(item)}"' in text, "row has no thread address"
    assert "inbox-row" in text, "row has no class for the keyboard"


def test_it_filters_by_tag(admin_client: Client) -> None:
    InteractionFactory(text="Mit Etikett", tags=["presse"])
    InteractionFactory(text="Ohne Etikett", tags=["andere"])
    response = admin_client.get(LIST, {"tag": "presse"})
    assert "Mit Etikett" in response.text, "tagged item missing"
    assert "Ohne Etikett" not in response.text, "other tag shown"
    assert 'class="inbox-tag"' in response.text, "tag not shown in the row"


def test_it_filters_items_still_to_do(admin_client: Client) -> None:
    InteractionFactory(text="Noch offen", status="escalated")
    InteractionFactory(text="Schon beantwortet", status="answered")
    response = admin_client.get(LIST, {"status": "todo"})
    assert "Noch offen" in response.text, "escalated item missing"
    assert "Schon beantwortet" not in response.text.replace(">Beantwortet<", ""), (
        "answered item shown"
    )


def test_it_sorts_by_priority_and_pages_without_gaps(admin_client) -> None:
    channel = InboxChannelFactory()
    author = AuthorFactory(channel=channel)
    for n in range(PAGE_SIZE + 5):
        InteractionFactory(channel=channel, author=author, priority=n % 4)
    first = admin_client.get(LIST, {"sort": "priority"})
    items = first.context["page"].items
    priorities = [i.priority for i in items]
    assert priorities == sorted(priorities, reverse=True), "not by priority"
    second = admin_client.get(
        LIST, {"sort": "priority", "before": first.context["page"].older}
    )
    shown = [i.pk for i in items + second.context["page"].items]
    assert len(shown) == len(set(shown)) == PAGE_SIZE + 5, "lost or repeated"
    back = admin_client.get(
        LIST, {"sort": "priority", "after": second.context["page"].newer}
    )
    assert [i.pk for i in back.context["page"].items] == shown[:PAGE_SIZE]


def test_it_sorts_oldest_first(admin_client: Client) -> None:
    old = InteractionFactory(remote_created_at=BASE_TIME - timedelta(days=1))
    InteractionFactory()
    response = admin_client.get(LIST, {"sort": "oldest"})
    assert response.context["page"].items[0] == old, "oldest not first"


def test_it_marks_the_active_built_in_view(admin_client: Client) -> None:
    response = admin_client.get(LIST, {"assignee": "me", "status": "todo"})
    mine = next(v for v in response.context["views"]() if v.active)
    assert str(mine.label) in ("Mine", "Meine"), mine.label
    assert 'aria-current="page"' in response.text, "active view not marked"


def test_it_saves_a_view_for_the_user_only(
    admin_client: Client, admin_user, community_manager
) -> None:
    response = admin_client.post(
        reverse("inbox:save_view"),
        {"name": "Presse", "query": "tag=presse&before=1.2&evil=1"},
    )
    saved = SavedView.objects.get()
    assert (saved.user, saved.name) == (admin_user, "Presse"), saved
    assert saved.query == "tag=presse", "cursor or unknown field saved"
    assert response["Location"] == f"{LIST}?tag=presse", response["Location"]
    assert AuditEvent.objects.filter(action="inbox.view_saved").exists()
    listed = admin_client.get(LIST).text
    assert f'href="{LIST}?tag=presse"' in listed, "saved view not offered"
    other = login_client(Client(), community_manager).get(LIST).text
    assert f'href="{LIST}?tag=presse"' not in other, "view leaked to another user"


def test_it_refuses_a_view_without_filters_or_with_a_taken_name(
    admin_client, admin_user
) -> None:
    admin_client.post(reverse("inbox:save_view"), {"name": "Leer", "query": ""})
    SavedView.objects.create(user=admin_user, name="Presse", query="tag=a")
    admin_client.post(reverse("inbox:save_view"), {"name": "Presse", "query": "tag=b"})
    assert list(SavedView.objects.values_list("query", flat=True)) == ["tag=a"]


def test_it_deletes_only_own_saved_views(
    admin_client: Client, community_manager
) -> None:
    theirs = SavedView.objects.create(user=community_manager, name="X", query="q=a")
    url = reverse("inbox:delete_view", args=[theirs.pk])
    assert admin_client.post(url).status_code == 404, "deleted someone else's view"
    own = SavedView.objects.create(
        user=admin_client.get(LIST).context["user"], name="Y", query="q=b"
    )
    admin_client.post(reverse("inbox:delete_view", args=[own.pk]))
    assert not SavedView.objects.filter(pk=own.pk).exists(), "own view not deleted"
    assert AuditEvent.objects.filter(action="inbox.view_deleted").exists()


def test_it_offers_to_save_the_current_filters(admin_client: Client) -> None:
    InteractionFactory()
    response = admin_client.get(LIST, {"tag": "presse", "sort": "oldest"})
    assert 'name="query" value="tag=presse&amp;sort=oldest"' in response.text


def test_it_marks_hidden_and_deleted_items_in_the_list(admin_client) -> None:
    InteractionFactory(hidden_at=BASE_TIME)
    InteractionFactory(deleted_on_network_at=BASE_TIME)
    text = admin_client.get(LIST).text
    assert text.count('class="status-badge warning"') == 2, "flags missing"


def test_it_shows_our_post_the_thread_answers(admin_client) -> None:
    from leitstelle.publishing.models import PublicationState
    from tests.publishing.factories import PublicationFactory, make_post

    item = InteractionFactory(root_post="remote-77")
    post = make_post(
        [item.channel], title="Unfall B6", master_text="Sperrung <b>bis</b> 18 Uhr"
    )
    PublicationFactory(
        variant=post.variants.get(),
        state=PublicationState.PUBLISHED,
        remote_id="remote-77",
        url="https://social.example/@polizei/77",
    )

    page = admin_client.get(reverse("inbox:detail", args=[item.pk])).content.decode()

    assert "Sperrung &lt;b&gt;bis&lt;/b&gt; 18 Uhr" in page, "our post's text, escaped"
    assert post.get_absolute_url() in page
    assert 'href="https://social.example/@polizei/77"' in page


def test_it_names_a_post_published_outside_leitstelle(admin_client) -> None:
    item = InteractionFactory(root_post="elsewhere-1")
    page = admin_client.get(reverse("inbox:detail", args=[item.pk])).content.decode()
    assert "Published outside Leitstelle" in page


def test_it_filters_by_campaign(admin_client) -> None:
    from leitstelle.publishing.models import Campaign, PublicationState
    from tests.publishing.factories import PublicationFactory, make_post

    on_campaign = InteractionFactory(root_post="r-1", text="Zur Kampagne")
    elsewhere = InteractionFactory(
        channel=on_campaign.channel, root_post="r-2", text="Anderswo"
    )
    campaign = Campaign.objects.create(name="Sicher Radfahren")
    post = make_post([on_campaign.channel], campaign=campaign)
    PublicationFactory(
        variant=post.variants.get(), state=PublicationState.PUBLISHED, remote_id="r-1"
    )

    page = admin_client.get(
        reverse("inbox:list"), {"campaign": campaign.pk}
    ).content.decode()

    assert on_campaign.text in page
    assert elsewhere.text not in page
