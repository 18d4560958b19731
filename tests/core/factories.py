from __future__ import annotations

import factory
import pyotp
from django.utils import timezone

from leitstelle.core.models import Role, Unit, User

PASSWORD = "korrekt-Pferd-Batterie-42"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Einheit {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Kim"
    last_name = factory.Sequence(lambda n: f"Muster{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@polizei.example")
    role = Role.EDITOR
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()

    class Params:
        with_totp = factory.Trait(
            totp_secret=factory.LazyFunction(pyotp.random_base32),
            totp_confirmed_at=factory.LazyFunction(timezone.now),
        )
