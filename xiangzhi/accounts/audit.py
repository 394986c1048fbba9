"""What account management writes to the audit log: its actions and what a row keeps of an account."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model
from xiangzhi.core.permissions import Role

from . import permissions as perms
from .models import User

register_action("accounts.user.create", _("created an account"))
register_action("accounts.user.set_roles", _("changed an account's roles"))
register_action("accounts.user.change_password", _("changed their own password"))
register_action(
    "accounts.user.unlock",
    _("unlocked an account"),
    fields={"failed_attempts_cleared": _("failed logins cleared"), "via": _("where")},
)
register_action("accounts.user.reset_password", _("set a temporary password"))
register_action("accounts.user.activate", _("reactivated an account"))
register_action("accounts.user.login", _("signed in"), fields={"via": _("where")})
register_action("accounts.user.login_failed", _("failed to sign in"), fields={"via": _("where")})
register_action("accounts.user.locked", _("was locked after failed sign-ins"), fields={"via": _("where")})
register_action("accounts.token.issue", _("was given an API token"))
register_action("accounts.token.use", _("used an API token"))
register_action("accounts.user.deactivate", _("deactivated an account"))


def _roles(user: User) -> list[dict]:
    if not user.pk:
        return []
    return [
        {
            "role": row.role,
            "village": row.village_id,
            "groups": sorted(g.pk for g in row.groups.all()),
            "object": row.object_id,
        }
        for row in user.roles.prefetch_related("groups").order_by("role")
    ]


# where a sign-in or an unlock came from (the `via` of its row)
VIA = {"page": _("the login page"), "api": _("the API"), "command line": _("the server's command line")}


def _show_via(via) -> str:
    return str(VIA.get(via, via))


def _show_roles(roles) -> str:
    labels = dict(Role.choices)
    return "; ".join(str(labels.get(r.get("role"), r.get("role"))) for r in roles)


register_model(
    User,
    fields=("username", "is_active"),
    computed={"roles": _roles},
    labels={"roles": _("roles")},
    formats={"roles": _show_roles, "via": _show_via},
    link=("accounts:user", perms.MANAGE_USERS),
)
