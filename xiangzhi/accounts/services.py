"""Account writes: created by an administrator, changed by their owner; each audited."""

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from xiangzhi.core.audit import audit_record
from xiangzhi.core.exceptions import NotInScope

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
        raise NotInScope
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


def managed_users(actor: User):
    """The accounts an administrator manages: those of its own town; none for other roles (views answer 404)."""
    if not roles.can(actor, roles.MANAGE_USERS) or not actor.town_id:
        return User.objects.none()
    return User.objects.filter(town_id=actor.town_id)


def locked_usernames(users) -> set[str]:
    """Which of these accounts are locked now: five failed logins within the cool-off lock one (django-axes)."""
    threshold = timezone.now() - get_cool_off()
    return set(
        AccessAttempt.objects.filter(
            username__in=[u.username for u in users],
            attempt_time__gte=threshold,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        ).values_list("username", flat=True)
    )


def _require_managed(actor: User, user: User) -> None:
    if not managed_users(actor).filter(pk=user.pk).exists():
        raise NotInScope


@transaction.atomic
def user_unlock(*, actor: User, user: User) -> User:
    """Lift a lockout before its 30 minutes are over (the user called the administrator)."""
    _require_managed(actor, user)
    attempts = axes_reset(username=user.username)
    audit_record(actor=actor, action="user.unlock", target=user, after={"failed_attempts_cleared": attempts})
    return user


@transaction.atomic
def user_reset_password(*, actor: User, user: User, password: str) -> User:
    """A temporary password the administrator tells the user; it must be changed at the next login."""
    _require_managed(actor, user)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    axes_reset(username=user.username)
    # Sessions end with the old password (Django's session hash); an API token would not, so it goes too.
    Token.objects.filter(user=user).delete()
    audit_record(actor=actor, action="user.reset_password", target=user)
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate an account (a cadre left office) or bring it back; nothing of it is deleted."""
    _require_managed(actor, user)
    if user.pk == actor.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    before = _snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        target=user,
        before=before,
        after=_snapshot(user),
    )
    return user
