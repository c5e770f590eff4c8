"""Factories for notification targets; deliveries are made through the services, as in production."""

from __future__ import annotations

import factory

from backend.notifications.models import RobotChannel, WebhookEndpoint


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    name = factory.Sequence(lambda n: f"物业系统{n}")
    url = "http://127.0.0.1:9/hooks"
    secret = factory.Sequence(lambda n: f"whsec-test-{n}")
    event_types = factory.LazyFunction(lambda: ["order.changed"])
    active = True


class RobotChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RobotChannel

    kind = RobotChannel.Kind.WECOM
    name = factory.Sequence(lambda n: f"维修调度群{n}")
    webhook_url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=test"
    secret = ""
    event_types = factory.LazyFunction(lambda: ["order.changed"])
    active = True
