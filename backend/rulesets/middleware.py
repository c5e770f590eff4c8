"""Each request reads the rule version in force once (``definitions_scope``)."""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

from backend.rulesets.selectors import definitions_scope


class RulesScopeMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):  # pragma: no cover - the stack is sync
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with definitions_scope():
            return self.get_response(request)
