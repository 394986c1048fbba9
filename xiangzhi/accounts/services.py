"""Account writes: created by an administrator, changed by their owner; each audited."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record

from . import roles
from .choices import Role
from .models import User


def _snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "role": user.role,
        "village": user.village_id,
        "groups": sorted(user.village_groups.values_list("pk", flat=True)) if user.pk else [],
        "is_active": user.is_active,
    }


@transaction.atomic
def user_create(
    *, actor: User, username: str, role: str, password: str, display_name: str = "", village=None, groups=()
) -> User:
    if not roles.can(actor, roles.MANAGE_USERS):
        raise PermissionError
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    if role == Role.CADRE and village is None:
        raise ValidationError({"village": _("A village cadre needs a village.")})
    if role == Role.GRID and not groups:
        raise ValidationError({"groups": _("A grid worker needs at least one village group.")})
    user = User(
        username=username,
        role=role,
        town_id=actor.town_id,
        display_name=display_name,
        village=village if role == Role.CADRE else None,
        must_change_password=True,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    if role == Role.GRID:
        user.village_groups.set(groups)
    audit_record(actor=actor, action="user.create", target=user, town=actor.town, after=_snapshot(user))
    return user


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> User:
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_record(actor=user, action="user.change_password", target=user)
    return user
