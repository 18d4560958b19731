"""The exercise network's timeline and the simulated citizen's tools."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import timezone

from leitstelle.core.models import AuditEvent
from leitstelle.networks.base import Media
from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost
from leitstelle.networks.exercise.views import CITIZEN_KEY
from tests.networks.exercise.conftest import PNG

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(1)>"


def find(node: Element | str, element_id: str) -> Element | None:
    """Return the element with `element_id` below `node`."""
    if isinstance(node, str):
        return None
    if dict(node.attributes).get("id") == element_id:
        return node
    for child in node.children:
        if (found := find(child, element_id)) is not None:
            return found
    return None


def page_tree(response) -> Element:
    return parse_html(response.content.decode())


def act_as(client, account: ExerciseAccount) -> None:
    session = client.session
    session[CITIZEN_KEY] = account.pk
    session.save()


@pytest.fixture
def post(police) -> ExercisePost:
    return services.create_post(account=police, text="Zeugenaufruf: Unfallflucht")


def reply_url(parent: ExercisePost) -> str:
    return reverse("exercise:reply", args=[parent.account.handle, parent.pk])


def account_url(account: ExerciseAccount) -> str:
    return reverse("exercise:account", args=[account.handle])


# Permissions


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("exercise:index", []),
        ("exercise:account", ["polizei_test"]),
        ("exercise:post", ["polizei_test", 1]),
        ("exercise:citizen", []),
        ("exercise:media", [1]),
    ],
)
def test_it_sends_anonymous_visitors_to_the_login(client, name, args):
    """The simulated network is not public: it lives inside the Leitstelle."""
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("exercise:reply", ["polizei_test", 1]),
        ("exercise:citizen_choose", []),
        ("exercise:citizen_create", []),
    ],
)
def test_it_takes_no_anonymous_comments(client, police, name, args):
    response = client.post(reverse(name, args=args), {"text": "Hallo"})
    assert response.status_code == 302
    assert not ExercisePost.objects.exists()


@pytest.mark.parametrize(
    "role_client", ["analyst_client", "editor_client", "admin_client"]
)
def test_every_role_may_look_at_the_timeline(request, role_client, post):
    client = request.getfixturevalue(role_client)
    assert client.get(account_url(post.account)).status_code == 200


# Index and timeline


def test_it_lists_our_accounts_and_the_citizens(analyst_client, police, citizen):
    content = analyst_client.get(reverse("exercise:index")).content.decode()
    assert "@polizei_test" in content
    assert "@anwohner42" in content
    assert "Accounts of the authority" in content


def test_it_says_how_to_get_started_without_accounts(analyst_client):
    content = analyst_client.get(reverse("exercise:index")).content.decode()
    assert "leitstelle demo" in content


def test_it_shows_a_thread_nested_like_a_network(analyst_client, post, citizen):
    question = services.create_post(account=citizen, text="Wo?", in_reply_to=post)
    answer = services.create_post(
        account=post.account, text="Dort.", in_reply_to=question
    )
    tree = page_tree(analyst_client.get(account_url(post.account)))
    thread = find(tree, f"thread-{post.pk}")
    assert find(find(thread, f"post-{question.pk}"), f"post-{answer.pk}") is not None


def test_it_shows_the_newest_post_first(analyst_client, police):
    old = services.create_post(account=police, text="Alt")
    new = services.create_post(account=police, text="Neu")
    content = analyst_client.get(account_url(police)).content.decode()
    assert content.index(f'id="post-{new.pk}"') < content.index(f'id="post-{old.pk}"')


def test_it_shows_names_handles_and_times(analyst_client, post):
    content = analyst_client.get(account_url(post.account)).content.decode()
    assert "Polizei Test" in content
    assert "@polizei_test" in content
    assert ">PT<" in content  # the avatar's initials
    assert "just now" in content


def test_it_marks_edited_deleted_and_hidden_posts(analyst_client, post, citizen):
    services.edit_post(post=post, text="Korrigiert")
    gone = services.create_post(account=citizen, text="Weg damit", in_reply_to=post)
    services.delete_post(post=gone)
    rude = services.create_post(account=citizen, text="Frechheit", in_reply_to=post)
    services.set_hidden(account=post.account, post=rude, hidden=True)
    content = analyst_client.get(account_url(post.account)).content.decode()
    assert "edited" in content
    assert "This post has been deleted." in content
    assert "Weg damit" not in content
    assert "Hidden by the account" in content
    assert "Frechheit" in content  # collapsed, not removed


def test_it_escapes_hostile_text(analyst_client, post, citizen):
    services.create_post(account=citizen, text=HOSTILE, in_reply_to=post)
    content = analyst_client.get(account_url(post.account)).content.decode()
    assert "<script>alert(1)" not in content
    assert "<img src=x" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content


def test_it_escapes_hostile_names_and_alt_texts(analyst_client, post):
    villain = services.create_account(handle="boese", display_name=HOSTILE)
    media = (Media(PNG, "image/png", alt_text='"><script>alert(2)</script>'),)
    services.create_post(account=villain, text="Bild", in_reply_to=post, media=media)
    content = analyst_client.get(account_url(post.account)).content.decode()
    assert "<script>alert" not in content
    assert "&quot;&gt;&lt;script&gt;alert(2)" in content


def test_it_keeps_line_breaks(analyst_client, police):
    services.create_post(account=police, text="Zeile eins\nZeile zwei")
    content = analyst_client.get(account_url(police)).content.decode()
    assert "Zeile eins<br>Zeile zwei" in content


def test_it_shows_images_with_their_alt_text(analyst_client, post):
    media = (Media(PNG, "image/png", alt_text="Ein Streifenwagen"),)
    shown = services.create_post(account=post.account, text="Foto", media=media)
    image = shown.media.get()
    content = analyst_client.get(account_url(post.account)).content.decode()
    src = reverse("exercise:media", args=[image.pk])
    assert f'src="{src}" alt="Ein Streifenwagen"' in content


def test_it_answers_404_for_an_unknown_account(analyst_client):
    assert (
        analyst_client.get(reverse("exercise:account", args=["niemand"])).status_code
        == 404
    )


def test_it_loads_the_timeline_in_a_fixed_number_of_queries(
    analyst_client, police, citizen, django_assert_max_num_queries
):
    for n in range(10):
        post = services.create_post(account=police, text=f"Beitrag {n}")
        for m in range(3):
            question = services.create_post(
                account=citizen, text=f"{m}", in_reply_to=post
            )
            services.create_post(account=police, text="Antwort", in_reply_to=question)
    with django_assert_max_num_queries(20):
        analyst_client.get(account_url(police))


# A single post


def test_it_shows_a_comment_with_its_answers_and_a_link_up(
    analyst_client, post, citizen
):
    question = services.create_post(account=citizen, text="Wo?", in_reply_to=post)
    answer = services.create_post(
        account=post.account, text="Dort.", in_reply_to=question
    )
    url = reverse("exercise:post", args=["anwohner42", question.pk])
    response = analyst_client.get(url)
    tree = page_tree(response)
    assert find(find(tree, f"thread-{question.pk}"), f"post-{answer.pk}") is not None
    assert find(tree, f"post-{post.pk}") is None
    assert (
        reverse("exercise:post", args=["polizei_test", post.pk])
        in response.content.decode()
    )


def test_it_answers_404_for_a_post_under_another_handle(analyst_client, post):
    url = reverse("exercise:post", args=["anwohner42", post.pk])
    assert analyst_client.get(url).status_code == 404


# Media


def test_it_serves_an_image_with_its_type(analyst_client, police):
    shown = services.create_post(account=police, text="", media=(Media(PNG, ""),))
    response = analyst_client.get(
        reverse("exercise:media", args=[shown.media.get().pk])
    )
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_it_serves_no_image_of_a_deleted_post(analyst_client, police):
    shown = services.create_post(account=police, text="", media=(Media(PNG, ""),))
    services.delete_post(post=shown)
    response = analyst_client.get(
        reverse("exercise:media", args=[shown.media.get().pk])
    )
    assert response.status_code == 404


# Writing as a citizen


def test_it_asks_to_choose_a_citizen_before_replying(analyst_client, post):
    content = analyst_client.get(account_url(post.account)).content.decode()
    assert "Choose a simulated citizen to write as first." in content
    assert f'action="{reply_url(post)}"' not in content


def test_it_offers_a_reply_form_per_post_once_a_citizen_is_chosen(
    analyst_client, post, citizen
):
    act_as(analyst_client, citizen)
    content = analyst_client.get(account_url(post.account)).content.decode()
    assert f'action="{reply_url(post)}"' in content
    assert "Comment as @anwohner42" in content


def test_it_posts_a_comment_and_returns_to_the_page(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    page = account_url(post.account)
    data = {"text": "Ich habe etwas gesehen", "thread": post.pk, "next": page}
    response = analyst_client.post(reply_url(post), data)
    created = ExercisePost.objects.get(account=citizen)
    assert (created.in_reply_to, created.text) == (post, "Ich habe etwas gesehen")
    assert response.status_code == 302
    assert response.url == f"{page}#post-{created.pk}"


def test_it_ignores_a_next_address_elsewhere(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    data = {"text": "Hallo", "next": "https://evil.example/"}
    response = analyst_client.post(reply_url(post), data)
    assert response.url.startswith(
        reverse("exercise:post", args=["polizei_test", post.pk])
    )


def test_it_records_who_typed_the_comment(analyst_client, analyst, post, citizen):
    act_as(analyst_client, citizen)
    analyst_client.post(reply_url(post), {"text": "Hallo"})
    event = AuditEvent.objects.get(action="exercise.comment_posted")
    assert event.actor == analyst
    assert event.details == {
        "author": "anwohner42",
        "in_reply_to": post.pk,
        "images": 0,
    }


def test_it_swaps_the_thread_in_place_with_htmx(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    question = services.create_post(account=citizen, text="Wo?", in_reply_to=post)
    response = analyst_client.post(
        reply_url(question),
        {"text": "Noch eine Frage", "thread": post.pk},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/x/"},
    )
    created = ExercisePost.objects.get(text="Noch eine Frage")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith(f'<div id="thread-{post.pk}"')
    tree = page_tree(response)
    assert find(find(tree, f"post-{question.pk}"), f"post-{created.pk}") is not None


def test_it_redraws_the_thread_the_form_was_sent_from(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    question = services.create_post(account=citizen, text="Wo?", in_reply_to=post)
    response = analyst_client.post(
        reply_url(question), {"text": "Hier", "thread": question.pk},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert (
        response.content.decode().lstrip().startswith(f'<div id="thread-{question.pk}"')
    )


def test_it_redraws_the_whole_thread_for_a_foreign_thread_id(
    analyst_client, post, citizen, police
):
    act_as(analyst_client, citizen)
    other = services.create_post(account=police, text="Anderer Beitrag")
    response = analyst_client.post(
        reply_url(post), {"text": "Hier", "thread": other.pk},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.content.decode().lstrip().startswith(f'<div id="thread-{post.pk}"')


def test_it_posts_a_comment_with_an_image(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    image = SimpleUploadedFile("foto.png", PNG, content_type="image/png")
    data = {"text": "Foto vom Auto", "image": image, "alt_text": "Ein Kombi"}
    analyst_client.post(reply_url(post), data)
    stored = ExercisePost.objects.get(account=citizen).media.get()
    assert (stored.mime_type, stored.alt_text) == ("image/png", "Ein Kombi")


def test_it_refuses_a_file_that_is_no_image_and_keeps_the_text(
    analyst_client, post, citizen
):
    act_as(analyst_client, citizen)
    fake = SimpleUploadedFile("x.png", b"<html>", content_type="image/png")
    response = analyst_client.post(
        reply_url(post), {"text": "Mein Text", "image": fake}
    )
    content = response.content.decode()
    assert response.status_code == 400
    assert "Only JPEG, PNG and WebP images are allowed." in content
    assert ">Mein Text</textarea>" in content
    assert not ExercisePost.objects.filter(account=citizen).exists()


def test_it_refuses_an_empty_comment(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    response = analyst_client.post(reply_url(post), {"text": "   "})
    assert response.status_code == 400
    assert "A post needs text or an image." in response.content.decode()


def test_it_refuses_a_long_comment_and_keeps_the_text(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    text = "Sehr lang! " * 60
    response = analyst_client.post(reply_url(post), {"text": text})
    content = response.content.decode()
    assert "The text has 659 characters; at most 500 are allowed." in content
    assert f">{text}</textarea>" in content


def test_it_shows_errors_inside_the_thread_with_htmx(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    response = analyst_client.post(
        reply_url(post), {"text": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200  # htmx swaps only successful answers
    assert "A post needs text or an image." in response.content.decode()


def test_it_refuses_to_comment_without_a_citizen(analyst_client, post):
    response = analyst_client.post(reply_url(post), {"text": "Anonym"})
    assert response.status_code == 400
    assert "Choose a simulated citizen to write as first." in response.content.decode()
    assert ExercisePost.objects.count() == 1


def test_it_refuses_a_comment_on_a_deleted_post(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    services.delete_post(post=post)
    response = analyst_client.post(reply_url(post), {"text": "Hallo?"})
    assert "The post answered has been deleted." in response.content.decode()
    assert not ExercisePost.objects.filter(account=citizen).exists()


def test_it_refuses_a_comment_of_a_blocked_citizen(analyst_client, post, citizen):
    act_as(analyst_client, citizen)
    services.block(account=post.account, author_id=str(citizen.pk))
    response = analyst_client.post(reply_url(post), {"text": "Hallo"})
    assert (
        "@anwohner42 has been blocked and cannot answer here."
        in response.content.decode()
    )


def test_it_lets_a_trainer_choose_a_citizen(analyst_client, citizen, police):
    page = account_url(police)
    response = analyst_client.post(
        reverse("exercise:citizen_choose"), {"citizen": citizen.pk, "next": page}
    )
    assert response.url == page
    assert analyst_client.session[CITIZEN_KEY] == citizen.pk


def test_it_refuses_to_write_as_an_account_of_the_authority(analyst_client, police):
    response = analyst_client.post(
        reverse("exercise:citizen_choose"), {"citizen": police.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert CITIZEN_KEY not in analyst_client.session


def test_it_creates_a_citizen_and_writes_as_it(analyst_client, analyst):
    data = {"handle": "@Mia_K", "display_name": "Mia K."}
    response = analyst_client.post(reverse("exercise:citizen_create"), data)
    created = ExerciseAccount.objects.get(handle="mia_k")
    assert (created.display_name, created.is_organisation) == ("Mia K.", False)
    assert response.url == reverse("exercise:index")
    assert analyst_client.session[CITIZEN_KEY] == created.pk
    event = AuditEvent.objects.get(action="exercise.account_created")
    assert (event.actor, event.details["handle"]) == (analyst, "mia_k")


def test_it_refuses_a_taken_handle_and_keeps_the_name(analyst_client, citizen):
    data = {"handle": "anwohner42", "display_name": "Zweiter Thomas"}
    response = analyst_client.post(reverse("exercise:citizen_create"), data)
    content = response.content.decode()
    assert response.status_code == 400
    assert "The handle @anwohner42 is taken already." in content
    assert 'value="Zweiter Thomas"' in content
    assert ExerciseAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("handle", "reason"),
    [
        ("medien", "The handle @medien is reserved."),
        ("mit leerzeichen", "A handle has 1 to 30 letters, digits or underscores"),
    ],
)
def test_it_refuses_a_bad_handle(analyst_client, handle, reason):
    data = {"handle": handle, "display_name": "X"}
    response = analyst_client.post(reverse("exercise:citizen_create"), data)
    assert reason in response.content.decode()
    assert not ExerciseAccount.objects.exists()


def test_the_citizen_page_shows_the_panel_with_a_way_back(analyst_client, citizen):
    response = analyst_client.get(
        reverse("exercise:citizen"), {"next": "/uebungsnetz/"}
    )
    content = response.content.decode()
    assert "Simulated citizen" in content
    assert 'href="/uebungsnetz/"' in content


def test_time_shows_how_long_ago_a_post_was(analyst_client, police):
    shown = services.create_post(account=police, text="Früher")
    ExercisePost.objects.filter(pk=shown.pk).update(
        created_at=timezone.now() - timezone.timedelta(minutes=5)
    )
    assert "5 minutes ago" in analyst_client.get(account_url(police)).content.decode()
