"""The shared cast: one user per role, and helpers to log them in."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from leitstelle.core.middleware import SESSION_EPOCH_KEY
from leitstelle.core.models import Role, User
from tests.core.factories import UserFactory

# Playwright runs an event loop in the test thread; the ORM is still used
# synchronously there (see the test-infrastructure recipe).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Hash test passwords cheaply; PBKDF2 costs most of a second each time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(username="admin", role=Role.ADMIN, with_totp=True)


@pytest.fixture
def approver(db) -> User:
    return UserFactory(username="approver", role=Role.APPROVER, with_totp=True)


@pytest.fixture
def editor(db) -> User:
    return UserFactory(username="editor", role=Role.EDITOR)


@pytest.fixture
def community_manager(db) -> User:
    return UserFactory(username="community", role=Role.COMMUNITY)


@pytest.fixture
def analyst(db) -> User:
    return UserFactory(username="analyst", role=Role.ANALYST)


def login_client(client: Client, user: User) -> Client:
    """Log `user` in as if password and second factor had been given."""
    client.force_login(user)
    session = client.session
    session[SESSION_EPOCH_KEY] = user.session_epoch
    session.save()
    return client


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    return login_client(client, admin_user)


@pytest.fixture
def analyst_client(client: Client, analyst: User) -> Client:
    return login_client(client, analyst)


@pytest.fixture
def editor_client(client: Client, editor: User) -> Client:
    return login_client(client, editor)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
