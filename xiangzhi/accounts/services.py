"""Account writes: created by an administrator, changed by their owner; each audited."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from xiangzhi.areas import permissions as area_perms
from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.permissions import ROLE_LEVEL, Level, Role
from xiangzhi.core.scoping import require

from . import permissions as perms
from .models import RoleAssignment, User, username_skeleton


@dataclass(frozen=True)
class RoleInput:
    """A role to give an account, with the village (cadre) or the groups (grid worker) it covers."""

    role: str
    village: Village | None = None
    groups: tuple[VillageGroup, ...] = ()


# Letters and digits of the Latin alphabet, Chinese characters, and . _ - between them. Look-alikes from other
# scripts (Cyrillic а, Greek ο), full-width letters, invisible characters and markup are refused or folded.
_USERNAME = re.compile(r"^[a-z0-9\u4e00-\u9fff](?:[a-z0-9\u4e00-\u9fff._-]{0,28}[a-z0-9\u4e00-\u9fff])?$")


def username_clean(username: str) -> str:
    """A new account's name: normalised (NFKC, lower case), within the allowed characters, and not a look-alike of
    a name that exists (`admin` and `ａｄｍｉｎ`, `adm1n` or `ad.min` are one name)."""
    name = unicodedata.normalize("NFKC", username or "").strip().lower()
    if not _USERNAME.match(name):
        raise ValidationError(
            {
                "username": _(
                    "Use 1 to 30 letters a–z, digits or Chinese characters; . _ - may stand between them."
                )
            },
            code="username_invalid",
        )
    taken = User.objects.unrestricted("usernames are unique everywhere").filter(
        Q(username_key=username_skeleton(name)) | Q(username__iexact=name)
    )
    if taken.exists():
        raise ValidationError({"username": _("This username is taken.")}, code="username_taken")
    return name


def _clean_roles(actor: User, roles: list[RoleInput]) -> list[RoleInput]:
    """Each role once, with exactly the scope its level needs, inside the actor's town."""
    errors: dict[str, str] = {}
    seen = set()
    villages = villages_for(user=actor, action=area_perms.VIEW)
    groups = groups_for(user=actor, action=area_perms.VIEW)
    cleaned = []
    for given in roles:
        if given.role not in Role.values or given.role in seen:
            errors["roles"] = _("Give each role once.")
            continue
        seen.add(given.role)
        level = ROLE_LEVEL[given.role]
        if level is Level.VILLAGE:
            if given.village is None or not villages.filter(pk=given.village.pk).exists():
                errors["village"] = _("A village cadre needs a village.")
                continue
            cleaned.append(RoleInput(given.role, village=given.village))
        elif level is Level.GROUPS:
            picked = [g for g in given.groups if groups.filter(pk=g.pk).exists()]
            if not picked or len(picked) != len(given.groups):
                errors["groups"] = _("A grid worker needs at least one village group.")
                continue
            cleaned.append(RoleInput(given.role, groups=tuple(picked)))
        elif level is Level.TOWN:
            cleaned.append(RoleInput(given.role))
        else:
            errors["roles"] = _("This role is given where its household, shop or device is managed.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _write_roles(user: User, roles: list[RoleInput]) -> None:
    keep = {r.role for r in roles}
    user.roles.exclude(role__in=keep).delete()
    for given in roles:
        row, _created = RoleAssignment.objects.update_or_create(
            user=user, role=given.role, defaults={"village": given.village}
        )
        row.groups.set(given.groups)
    user.__dict__.pop("role_assignments", None)


@transaction.atomic
def user_create(
    *, actor: User, username: str, password: str, display_name: str = "", roles: Sequence[RoleInput] = ()
) -> User:
    """A new account of the actor's town, with the roles chosen (none until chosen: it can do nothing)."""
    require(actor, perms.MANAGE_USERS)
    username = username_clean(username)
    cleaned = _clean_roles(actor, list(roles))
    user = User(
        username=username,
        town_id=actor.town_id,
        display_name=display_name,
        must_change_password=True,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    _write_roles(user, cleaned)
    audit_record(
        actor=actor, action="accounts.user.create", target=user, town=actor.town, after=snapshot(user)
    )
    return user


@transaction.atomic
def user_set_roles(*, actor: User, user: User, roles: Sequence[RoleInput]) -> User:
    """Change which roles an account holds and the village or groups each covers."""
    _require_managed(actor, user)
    cleaned = _clean_roles(actor, list(roles))
    if user.pk == actor.pk and Role.TOWN_ADMIN not in {r.role for r in cleaned}:
        raise ValidationError({"roles": _("You cannot take the administrator role from your own account.")})
    before = snapshot(user)
    _write_roles(user, cleaned)
    audit_record(
        actor=actor, action="accounts.user.set_roles", target=user, before=before, after=snapshot(user)
    )
    return user


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> User:
    """The user's own new password. It ends every API token taken with the old one (a token taken with a
    temporary password must not outlive it), and cannot be the password it replaces."""
    if user.check_password(new_password):
        raise ValidationError(
            {"new_password1": _("Choose a new password: this is the one you have now.")},
            code="password_unchanged",
        )
    password_validation.validate_password(new_password, user)
    Token.objects.filter(user=user).delete()
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_record(actor=user, action="accounts.user.change_password", target=user)
    return user


def managed_users(actor: User):
    """The accounts an administrator manages: those of its own town; none for other roles (views answer 404)."""
    return User.objects.restrict(actor, perms.MANAGE_USERS)


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
    require(actor, perms.MANAGE_USERS, user)


@transaction.atomic
def user_unlock(*, actor: User, user: User) -> User:
    """Lift a lockout before its 30 minutes are over (the user called the administrator)."""
    _require_managed(actor, user)
    attempts = axes_reset(username=user.username)
    audit_record(
        actor=actor, action="accounts.user.unlock", target=user, after={"failed_attempts_cleared": attempts}
    )
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
    audit_record(actor=actor, action="accounts.user.reset_password", target=user)
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate an account (a cadre left office) or bring it back; nothing of it is deleted."""
    _require_managed(actor, user)
    if user.pk == actor.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    before = snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        # a token must not come back to life when the account is reactivated
        Token.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="accounts.user.activate" if active else "accounts.user.deactivate",
        target=user,
        before=before,
        after=snapshot(user),
    )
    return user


# ------------------------------------------------------------------------------------------- signing in and out


def login_recorded(*, user: User, via: str) -> None:
    """A successful sign-in, on the login page or for an API token: who, from where (the row has the address)."""
    audit_record(actor=user, action="accounts.user.login", target=user, after={"via": via})


def login_failure_recorded(*, username: str, via: str, locked: bool) -> None:
    """A failed sign-in to an existing account, and the lockout it caused: the auditor sees someone locking the
    only administrator out. Names that are no account leave no row (they would only fill the log)."""
    user = User.objects.unrestricted("a sign-in names its account").filter(username__iexact=username).first()
    if user is None:
        return
    audit_record(
        actor=None, action="accounts.user.login_failed", target=user, town=user.town, after={"via": via}
    )
    if locked:
        audit_record(
            actor=None, action="accounts.user.locked", target=user, town=user.town, after={"via": via}
        )


@transaction.atomic
def token_issue(*, user: User) -> Token:
    """The API token of an account that just proved its password: the one it has while that is young enough, else
    a new one. Issuing is audited; a token ends with the password, the account's deactivation, or its age."""
    from django.conf import settings

    token = Token.objects.filter(user=user).first()
    if token is not None and token.created < timezone.now() - settings.XIANGZHI_TOKEN_MAX_AGE:
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
        audit_record(actor=user, action="accounts.token.issue", target=user)
    return token


@transaction.atomic
def user_unlock_from_server(*, username: str) -> User:
    """Unlock an account from the server's command line (`manage.py unlock_account`): the way back in when the
    locked account is the only administrator's. Audited with no actor: whoever holds the server did it."""
    user = User.objects.unrestricted("the server's operator acts for no town").get(username__iexact=username)
    attempts = axes_reset(username=user.username)
    audit_record(
        actor=None,
        action="accounts.user.unlock",
        target=user,
        town=user.town,
        after={"failed_attempts_cleared": attempts, "via": "command line"},
    )
    return user


@transaction.atomic
def resident_user_ensure(
    *, user: User | None, town, username: str, display_name: str, household_id: int
) -> User:
    """The account a resident signs in with: made on their first sign-in, without a password (they sign in with
    codes sent to their phone), holding the one role `resident` over the household they live in — moved with them
    when they move."""
    if user is None:
        user = User(username=username, town=town, display_name=display_name)
        user.set_unusable_password()
        user.save()
    elif user.display_name != display_name:
        user.display_name = display_name
        user.save(update_fields=["display_name"])
    RoleAssignment.objects.update_or_create(
        user=user, role=Role.RESIDENT, defaults={"object_id": household_id, "village": None}
    )
    user.__dict__.pop("role_assignments", None)
    return user
