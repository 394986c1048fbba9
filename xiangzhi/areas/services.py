"""Town set-up: the administrator adds and renames villages and communities and their groups, each audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_save
from xiangzhi.core.models import Town
from xiangzhi.core.scoping import require

from . import permissions as perms
from .models import Village, VillageGroup


def division_code_clean(code: str, errors: dict) -> str:
    code = (code or "").strip()
    if code and not (len(code) == 12 and code.isascii() and code.isdigit()):
        errors["code"] = _("A statistical division code has 12 digits.")
    return code


@transaction.atomic
def village_save(*, actor, village: Village | None = None, name: str, kind: str, code: str = "") -> Village:
    """Add a village or community to the actor's town, or rename / re-code one."""
    require(actor, perms.CONFIGURE, village)
    errors: dict[str, str] = {}
    name = name.strip()
    code = division_code_clean(code, errors)
    clash = Village.objects.unrestricted("names are unique in a town").filter(
        town_id=actor.town_id, name=name
    )
    if village is not None:
        clash = clash.exclude(pk=village.pk)
    if clash.exists():
        errors["name"] = _("The town already has a village of this name.")
    if not name:
        errors["name"] = _("Enter the name.")
    if errors:
        raise ValidationError(errors)
    if village is None:
        village = Village(town_id=actor.town_id)
    village.name, village.kind, village.code = name, kind, code
    audit_save(actor=actor, obj=village, action_prefix="areas.village")
    return village


@transaction.atomic
def group_save(
    *, actor, village: Village | None = None, group: VillageGroup | None = None, number: int, name: str = ""
) -> VillageGroup:
    """Add a group (组) to a village, or renumber / rename one. A group never changes village: its households'
    village, their search keys and every account scoped to it follow the group."""
    village = group.village if group is not None else village
    if village is None:
        raise ValidationError({"village": _("Choose the village.")})
    require(actor, perms.CONFIGURE, village)
    name = name.strip() or f"{number}组"  # data, not interface text: the same whatever the page language
    clash = VillageGroup.objects.unrestricted("numbers are unique in a village").filter(
        village=village, number=number
    )
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError({"number": _("The village already has a group with this number.")})
    if group is None:
        group = VillageGroup(town_id=village.town_id, village=village)
    group.number, group.name = number, name
    audit_save(actor=actor, obj=group, action_prefix="areas.group")
    return group


def town_create(*, name: str, code: str = "") -> Town:
    """A new tenant (the installer's or the demo's step; no user acts yet). Apps that keep per-town settings
    give the town its defaults in their own set-up (e.g. `registry.services.town_flags_seed`)."""
    return Town.objects.create(name=name, code=code)
