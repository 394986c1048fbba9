"""Gauges speaking SL 651-2014: the administrator gives a point its station address; the listener's reports land
as readings of that point (`xiangzhi.monitoring.sl651.handlers.store_observations`)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record
from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..models import Point

_ADDRESS = re.compile(r"^[0-9A-F]{10}$")


@transaction.atomic
def point_sl651_address_set(*, actor, point: Point, address: str) -> Point:
    """Set (or, with "", clear) the SL 651 station address a gauge sends in its frames: 10 hex digits — BCD with
    a leading 00 for a hydrological station (SL 502), the county code then a hex number for others (§6.2.3.2)."""
    require(actor, perms.CONFIGURE, point)
    point = Point.objects.restrict(actor, perms.CONFIGURE).select_for_update().get(pk=point.pk)
    address = (address or "").strip().replace(" ", "").upper()
    if address and not _ADDRESS.match(address):
        raise ValidationError(
            {"sl651_address": _("An SL 651 station address is 10 hexadecimal digits, such as 0061000001.")}
        )
    if address == point.sl651_address:
        return point
    before = point.sl651_address
    point.sl651_address = address
    try:
        with transaction.atomic():
            point.save(update_fields=["sl651_address"])
    except IntegrityError:
        # addresses are unique across towns: the listener hears only the address
        raise ValidationError(
            {"sl651_address": _("Another gauge already has this SL 651 station address.")}
        ) from None
    audit_record(
        actor=actor,
        action="monitoring.point.sl651_address_set",
        target=point,
        before={"sl651_address": before},
        after={"sl651_address": address},
    )
    return point
