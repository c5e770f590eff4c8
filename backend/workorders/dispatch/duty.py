"""A technician's duty and position, which routing weighs (on duty, distance to the site)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.accounts.models import TechnicianProfile, User
from backend.accounts.roles import Role
from backend.workorders.inputs import invalid
from backend.workorders.live.broadcast import group_for_team, send_after_commit


def technician_status_update(*, actor: User, on_duty: bool | None, latitude: Decimal | None,
                             longitude: Decimal | None, now: datetime) -> TechnicianProfile:
    ensure_role(actor, [Role.TECHNICIAN])
    if (latitude is None) != (longitude is None):
        raise invalid("latitude", _("Give both latitude and longitude."))
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # type: ignore[operator]
        raise invalid("latitude", _("The position is out of range."))
    with transaction.atomic():
        profile, _created = TechnicianProfile.objects.select_for_update().get_or_create(user=actor)
        fields = []
        if on_duty is not None:
            profile.on_duty = on_duty
            fields.append("on_duty")
        if latitude is not None:
            profile.last_latitude, profile.last_longitude, profile.last_position_at = latitude, longitude, now
            fields += ["last_latitude", "last_longitude", "last_position_at"]
        if fields:
            profile.save(update_fields=fields)
        if latitude is not None and longitude is not None:
            _announce_position(actor, latitude=latitude, longitude=longitude, on_duty=profile.on_duty, now=now)
    return profile


def _announce_position(user: User, *, latitude: Decimal, longitude: Decimal, on_duty: bool, now: datetime) -> None:
    """Tells the boards of the technician's teams where they are, after commit: the map moves without
    an order having changed. Only viewers who see the whole board receive it (BoardConsumer)."""
    teams = list(user.teams.values_list("id", flat=True))
    if not teams:
        return
    send_after_commit([group_for_team(team_id) for team_id in teams], {
        "type": "technician.moved", "technician_id": str(user.id), "name": str(user), "on_duty": on_duty,
        "value": [float(longitude), float(latitude)], "at": now.isoformat()})
