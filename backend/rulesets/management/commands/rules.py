"""``manage.py rules show`` prints the version in force; ``manage.py rules publish DIR --note …``
publishes the YAML files of a directory (as an administrator) — for operators and for the test
that a running process picks up a publish without a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import AppError
from backend.rulesets.selectors import live_definitions, live_pointer
from backend.rulesets.services import version_publish
from workflows.schema import DOCUMENTS


class Command(BaseCommand):
    help = "Show or publish the rule definitions in force."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show")
        publish = sub.add_parser("publish")
        publish.add_argument("directory")
        publish.add_argument("--note", required=True)
        publish.add_argument("--as", dest="username", required=True, help="an administrator's username")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            pointer = live_pointer()
            number = pointer[0] if pointer else 1
            self.stdout.write(f"v{number} {live_definitions().version}")
            return
        directory = Path(options["directory"])
        sources = {name: (directory / name).read_text(encoding="utf-8") for name in DOCUMENTS
                   if (directory / name).exists()}
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            row = version_publish(actor=actor, sources=sources, note=options["note"], expected_live=None,
                                  now=timezone.now())
        except AppError as exc:
            raise CommandError(f"{exc.code}: {exc.details}") from exc
        self.stdout.write(f"v{row.number} {row.content_hash}")
