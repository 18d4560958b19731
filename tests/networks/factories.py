from __future__ import annotations

import factory

from leitstelle.networks.models import Channel


class ChannelFactory(factory.django.DjangoModelFactory):
    """A channel of the test-only network; needs the `testnet` fixture."""

    class Meta:
        model = Channel
        skip_postgeneration_save = True

    kind = "testnet"
    name = factory.Sequence(lambda n: f"Kanal {n}")
    remote_id = factory.Sequence(lambda n: f"remote-{n}")
    handle = factory.LazyAttribute(lambda c: f"@{c.remote_id}@test.example")
    display_name = factory.LazyAttribute(lambda c: c.name)
    config = factory.LazyFunction(lambda: {"server": "https://test.example"})

    @factory.post_generation
    def token(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_credentials({"token": extracted or "good"})
        if create:
            self.save()
