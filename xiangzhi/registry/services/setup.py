"""Town set-up of the registry: the flags a town's residents can carry."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_save
from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..models import (
    FlagType,
)

# ----------------------------------------------------------------------------------------------- town set-up

# The flags of the BRIEF every new town starts with (code, name, highlighted in an emergency, has a level).
DEFAULT_FLAGS = [
    ("dibao", "低保", False, False),
    ("tekun", "特困", True, False),
    ("disabled", "残疾", True, True),
    ("elderly_alone", "独居老人", True, False),
    ("left_behind_elderly", "留守老人", True, False),
    ("left_behind_child", "留守儿童", True, False),
    ("lifted_poverty", "脱贫户", False, False),
    ("relapse_watch", "防返贫监测对象", False, False),
    ("party_member", "党员", False, False),
    ("veteran", "退役军人", False, False),
]


def town_flags_seed(*, town) -> list[FlagType]:
    """Give a new town the default flags (idempotent: flags it already has are kept as they are)."""
    existing = set(
        FlagType.objects.unrestricted("set-up of a town no user acts in yet")
        .filter(town=town)
        .values_list("code", flat=True)
    )
    return FlagType.objects.bulk_create(
        [
            FlagType(town=town, code=code, name=name, emergency=emergency, has_level=has_level, sort=sort)
            for sort, (code, name, emergency, has_level) in enumerate(DEFAULT_FLAGS)
            if code not in existing
        ]
    )


@transaction.atomic
def flag_type_save(
    *,
    actor,
    flag: FlagType | None = None,
    code: str = "",
    name: str,
    emergency: bool = False,
    has_level: bool = False,
    sort: int = 0,
) -> FlagType:
    """Add a flag residents of the actor's town can carry, or change one of its flags; a flag's code never changes
    (exports and the API use it)."""
    require(actor, perms.CONFIGURE, flag)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the name.")})
    if flag is None:
        if FlagType.objects.restrict(actor, perms.CONFIGURE).filter(code=code).exists():
            raise ValidationError({"code": _("This code is taken.")})
        flag = FlagType(town_id=actor.town_id, code=code)
    flag.name, flag.emergency, flag.has_level, flag.sort = name, emergency, has_level, sort
    audit_save(actor=actor, obj=flag, action_prefix="registry.flag")
    return flag
