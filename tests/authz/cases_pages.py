"""Authorization entries of the Django pages: staff pages, the owner portal, sign-in, admin, i18n.

Every URL pattern outside /api/v1 needs an entry here (or in a context's own ``cases_<context>.py``
as ``PAGE_CASES``): tests/authz/test_page_and_socket_authorization.py fails on a page without one.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, UUIDConverter

from backend.accounts.roles import Role
from tests.authz.framework import PageCase, PageScenario
from tests.factories import BuildingFactory, PublicAreaFactory, UnitFactory, UserFactory, user_with_roles
from tests.owner_portal.helpers import home_with_owner, jpeg, verified_client

CASES: list = []  # no API operations here


def staff_client(*roles: str, **kwargs: Any) -> Client:
    client = Client()
    client.force_login(user_with_roles(*roles, **kwargs))
    return client


# --- staff pages


def _home() -> PageScenario:
    home, _ = home_with_owner()
    return PageScenario(urls=["/"], allowed=staff_client(Role.TECHNICIAN),
                        refused=[("a verified homeowner (no staff session)", verified_client(home))])


def _building_labels() -> PageScenario:
    building = BuildingFactory()
    UnitFactory(building=building)
    return PageScenario(urls=[f"/properties/buildings/{building.id}/qr-labels"], allowed=staff_client(Role.ADMINISTRATOR),
                        refused=[("technician", staff_client(Role.TECHNICIAN)), ("sales", staff_client(Role.SALES)),
                                 ("customer service", staff_client(Role.CUSTOMER_SERVICE))],
                        hidden=[("administrator, unknown building", staff_client(Role.ADMINISTRATOR),
                                 f"/properties/buildings/{uuid.uuid4()}/qr-labels")])


def _project_labels() -> PageScenario:
    area = PublicAreaFactory(building=None)
    return PageScenario(urls=[f"/properties/projects/{area.project_id}/qr-labels"], allowed=staff_client(Role.ADMINISTRATOR),
                        refused=[("technician", staff_client(Role.TECHNICIAN))],
                        hidden=[("administrator, unknown project", staff_client(Role.ADMINISTRATOR),
                                 f"/properties/projects/{uuid.uuid4()}/qr-labels")])


# --- the owner portal: a verified phone, and only the homes (and public reports) of that phone


def _portal(path: str, *, data: dict[str, Any] | None = None, succeeds: bool = True,
            photo: bool = False) -> Any:
    def make() -> PageScenario:
        mine, theirs = home_with_owner()
        client, other = verified_client(mine), verified_client(theirs)
        order, attachment = mine.side.order, None
        if photo:
            client.post(f"/portal/orders/{order.id}/photos", {"photos": _jpeg_upload()})
            attachment = order.attachments.get()
        url = path.format(token=mine.token, order=order.id, attachment=attachment.id if attachment else uuid.uuid4())
        hidden_url = path.format(token=mine.token, order=theirs.side.order.id,
                                 attachment=attachment.id if attachment else uuid.uuid4())
        hidden = [("the owner of another home", other, url)]
        if hidden_url != url:
            hidden.append(("this owner, another home's order", client, hidden_url))
        return PageScenario(urls=[url], allowed=client, data=data, allowed_succeeds=succeeds,
                            refused=[("a signed-in staff member (no verified phone)", staff_client(Role.ADMINISTRATOR))],
                            hidden=hidden)
    return make


def _portal_quality_guarantee() -> PageScenario:
    mine, theirs = home_with_owner()
    client, other = verified_client(mine), verified_client(theirs)
    url = f"/portal/units/{mine.unit.id}/quality-guarantee.pdf"
    return PageScenario(urls=[url], allowed=client,
                        refused=[("a signed-in staff member (no verified phone)", staff_client(Role.ADMINISTRATOR))],
                        hidden=[("the owner of another home", other, url),
                                ("this owner, another home's unit", client,
                                 f"/portal/units/{theirs.unit.id}/quality-guarantee.pdf")])


def _jpeg_upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("leak.jpg", jpeg(), content_type="image/jpeg")


def _portal_orders() -> PageScenario:
    mine, _theirs = home_with_owner()
    return PageScenario(urls=["/portal/orders"], allowed=verified_client(mine),
                        refused=[("a signed-in staff member", staff_client(Role.DISPATCHER))])


def _media() -> PageScenario:
    from django.utils import timezone

    from backend.workorders.services import attachment_add

    mine, theirs = home_with_owner()
    photo, _created = attachment_add(actor=mine.side.technician, order_id=mine.side.order.id, data=jpeg(),
                                     original_name="leak.jpg", owner_visible=True, now=timezone.now())
    allowed = Client()
    allowed.force_login(mine.side.dispatcher)
    other_project = Client()
    other_project.force_login(theirs.side.dispatcher)
    return PageScenario(urls=[photo.file.url, photo.thumbnail.url], allowed=allowed,
                        refused=[("another project's dispatcher", other_project),
                                 ("the owner of another home", verified_client(theirs)),
                                 ("sales", staff_client(Role.SALES))])


# --- the admin site: every pattern under admin/ needs a staff member (Django's admin_view)


def _dummy_kwargs(pattern: URLPattern) -> dict[str, str] | None:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {}
    for name, converter in converters.items():
        if isinstance(converter, IntConverter):
            kwargs[name] = "1"
        elif isinstance(converter, UUIDConverter):
            kwargs[name] = str(uuid.uuid4())
        elif isinstance(converter, PathConverter):
            kwargs[name] = "1"
        else:
            kwargs[name] = "x"
    for name in pattern.pattern.regex.groupindex:
        kwargs.setdefault(name, "accounts" if name == "app_label" else "1")
    return kwargs


def admin_urls() -> list[str]:
    from django.urls import NoReverseMatch, reverse

    admin = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "admin/")
    urls = []

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace,
                     prefix + str(pattern.pattern).lstrip("^"))
            elif pattern.name in {"login", "logout"}:
                continue  # entries of their own
            elif pattern.name:
                kwargs = _dummy_kwargs(pattern)
                try:
                    urls.append(reverse(f"{namespace}:{pattern.name}", kwargs=kwargs))
                except NoReverseMatch:
                    urls.append(reverse(f"{namespace}:{pattern.name}", args=list(kwargs.values())))
            elif str(pattern.pattern) == "<path:object_id>/":  # the model admins' redirect to the change page
                urls.append(f"/{prefix}1/")
            elif str(pattern.pattern) == "(?P<url>.*)$":  # the admin's catch-all (final_catch_all_view)
                urls.append(f"/{prefix}no-such-page/")
            else:
                raise AssertionError(f"an admin pattern this table cannot open: {prefix}{pattern.pattern}")
    walk(admin.url_patterns, "admin", "admin/")
    return sorted(set(urls), key=lambda url: (url != "/admin/", url))


def _admin() -> PageScenario:
    superuser = Client()
    superuser.force_login(UserFactory(is_staff=True, is_superuser=True))
    return PageScenario(urls=admin_urls(), allowed=superuser,
                        refused=[("an administrator role without staff status", staff_client(Role.ADMINISTRATOR)),
                                 ("a dispatcher", staff_client(Role.DISPATCHER))])


PAGE_CASES = [
    PageCase("GET", "tech/", public_reason="the technician app's shell: static files, no data (records come through "
             "the sync API with a device token)"),
    PageCase("GET", "tech/<path:name>", public_reason="the technician app's built files, service worker and manifest"),
    PageCase("POST", "i18n/setlang/", public_reason="the language choice: sets a cookie, reads and writes no data"),
    PageCase("GET", "accounts/login/", public_reason="the staff sign-in form (limited per address and username)"),
    PageCase("POST", "accounts/logout/", public_reason="ends the caller's own session, nobody else's"),
    PageCase("GET", "", make=_home),
    PageCase("POST", "properties/buildings/<uuid:building_id>/qr-labels", make=_building_labels),
    PageCase("POST", "properties/projects/<uuid:project_id>/qr-labels", make=_project_labels),
    PageCase("GET", "q/<str:token>", public_reason="a scanned code's landing: the place's name only, no owner data"),
    PageCase("POST", "q/<str:token>/verify", public_reason="the SMS verification itself (limited per address, label, "
                                                           "phone and in total)"),
    PageCase("GET", "q/<str:token>/report", make=_portal("/q/{token}/report")),
    PageCase("GET", "q/<str:token>/open-orders", make=_portal("/q/{token}/open-orders")),
    PageCase("POST", "portal/login", public_reason="the SMS verification for a text message's link"),
    PageCase("POST", "portal/logout", public_reason="ends the caller's own portal session"),
    PageCase("GET", "portal/orders", make=_portal_orders),
    PageCase("GET", "portal/units/<uuid:unit_id>/quality-guarantee.pdf", make=_portal_quality_guarantee),
    PageCase("GET", "portal/orders/<uuid:order_id>", make=_portal("/portal/orders/{order}")),
    PageCase("GET", "portal/orders/<uuid:order_id>/live", make=_portal("/portal/orders/{order}/live")),
    PageCase("GET", "portal/orders/<uuid:order_id>/events", make=_portal("/portal/orders/{order}/events")),
    PageCase("POST", "portal/orders/<uuid:order_id>/message",
             make=_portal("/portal/orders/{order}/message", data={"body": "明天上午在家"})),
    PageCase("POST", "portal/orders/<uuid:order_id>/rate",
             make=_portal("/portal/orders/{order}/rate", data={"timeliness": 5, "attitude": 5, "quality": 5},
                          succeeds=False)),
    PageCase("POST", "portal/orders/<uuid:order_id>/reopen",
             make=_portal("/portal/orders/{order}/reopen", data={"reason": "又漏了"}, succeeds=False)),
    PageCase("POST", "portal/orders/<uuid:order_id>/cancel",
             make=_portal("/portal/orders/{order}/cancel", data={"reason": "已自行修好"})),
    PageCase("POST", "portal/orders/<uuid:order_id>/reschedule",
             make=_portal("/portal/orders/{order}/reschedule", data={"slot_start": "2030-05-06T09:00",
                                                                     "slot_end": "2030-05-06T11:00"},
                          succeeds=False)),
    PageCase("POST", "portal/orders/<uuid:order_id>/quote",
             make=_portal("/portal/orders/{order}/quote", data={"quote_id": str(uuid.UUID(int=1)),
                                                                "decision": "accept"}, succeeds=False)),
    PageCase("POST", "portal/orders/<uuid:order_id>/photos",
             make=_portal("/portal/orders/{order}/photos", data={"note": ""})),
    PageCase("GET", "portal/orders/<uuid:order_id>/photos/<uuid:attachment_id>",
             make=_portal("/portal/orders/{order}/photos/{attachment}", photo=True)),
    PageCase("GET", "portal/orders/<uuid:order_id>/photos/<uuid:attachment_id>/<str:size>",
             make=_portal("/portal/orders/{order}/photos/{attachment}/thumb", photo=True)),
    PageCase("GET", "portal/kb", public_reason="the knowledge base: public help articles"),
    PageCase("GET", "portal/kb/suggest", public_reason="the knowledge base's suggestions for a category"),
    PageCase("GET", "portal/kb/<uuid:article_id>", public_reason="one public help article"),
    PageCase("POST", "portal/kb/<uuid:article_id>/read",
             public_reason="counts one read of a public help article per visit (limited with the reads)"),
    PageCase("GET", "media/<path:name>", make=_media),
    PageCase("GET", "admin/login/", public_reason="the admin's sign-in form (limited like /accounts/login/)"),
    PageCase("POST", "admin/logout/", public_reason="ends the caller's own admin session; anyone else is sent to "
                                                     "the admin's index, which asks them to sign in"),
    PageCase("GET", "admin/", make=_admin, covers_prefix=True),
]
