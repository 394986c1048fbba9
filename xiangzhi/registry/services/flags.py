"""Raising or clearing one flag of a resident (a field visit's finding), leaving the rest of the record alone."""

from django.db import transaction

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..models import FlagType, Resident
from ._common import FlagInput, _set_flags


@transaction.atomic
def resident_flag_set(
    *, actor, resident: Resident, flag: FlagType, on: bool, level: int | None = None
) -> Resident:
    """Give the resident `flag` (at `level`, for a flag with levels) or, with `on=False`, take it away."""
    require(actor, perms.CHANGE, resident)
    resident = (
        Resident.objects.unrestricted("the service checked scope with require()")
        .select_for_update()
        .get(pk=resident.pk)
    )
    before = snapshot(resident)
    kept = [
        FlagInput(flag=f.flag, level=f.level)
        for f in resident.flags.select_related("flag")
        if f.flag_id != flag.pk
    ]
    _set_flags(resident, [*kept, FlagInput(flag=flag, level=level)] if on else kept)
    audit_record(
        actor=actor,
        action="registry.resident.update",
        target=resident,
        before=before,
        after=snapshot(resident),
    )
    return resident
