"""The technician app's files at /tech/: the built shell (technician_app/dist/, made by Vite), its service worker
and manifest. The shell holds no data — every record comes through the sync API with a device token — so the
files are public, like the staff pages' static files.

The service worker is served at /tech/sw.js with ``Service-Worker-Allowed: /tech/``, so its scope is the app
and nothing else of the site; the shell and the worker are revalidated on every start (``no-cache``: an update
reaches the phone the next time it is online), the hashed assets are immutable.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils._os import safe_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

SCOPE = "/tech/"
NO_CACHE = {"index.html", "sw.js", "manifest.webmanifest"}
TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8"}


def app_dir() -> Path:
    return Path(getattr(settings, "TECHNICIAN_APP_DIR", settings.BASE_DIR / "technician_app" / "dist"))


@require_safe
def app_file(request: HttpRequest, name: str = "index.html") -> HttpResponseBase:
    root = app_dir()
    if not (root / "index.html").is_file():
        return HttpResponse(_("The technician app is not built yet: ./run builds it (npm ci, then vite)."),
                            status=503, content_type="text/plain; charset=utf-8")
    try:
        path = Path(safe_join(root, name))
    except (SuspiciousFileOperation, ValueError):  # a path outside the app's folder: a miss like any other
        raise Http404(name) from None
    if not path.is_file():
        raise Http404(name)
    content_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=content_type)
    if name in NO_CACHE:
        response["Cache-Control"] = "no-cache"
    elif name.startswith("assets/"):
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    if name == "sw.js":
        response["Service-Worker-Allowed"] = SCOPE
    return response
