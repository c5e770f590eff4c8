from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backend.properties.demo import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Prints the URLs and demo logins of the running embedded system."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        base = f"http://127.0.0.1:{port}"
        lines = [
            "",
            "安心 Anxin is running (embedded mode: SQLite, in-memory channel layer, filesystem Celery broker)",
            f"  staff sign-in      {base}/accounts/login/",
            f"  Django admin       {base}/admin/",
            f"  API docs           {base}/api/v1/docs   (OpenAPI: {base}/api/v1/openapi.json)",
            f"  health             {base}/api/v1/health",
            f"  WebSocket ping     ws://127.0.0.1:{port}/ws/ping",
            "",
            f"Demo logins (password {DEMO_PASSWORD}):",
        ]
        lines += [f"  {login.username:<12} {login.role}" for login in DEMO_LOGINS]
        lines.append("  tech3 … techN  technician (same password)")
        self.stdout.write("\n".join(lines))
