"""What the accounts app lets each role do."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.permissions import Level, Role, register

MANAGE_USERS = register(
    "accounts.manage_users",
    _("create accounts, give them roles and scopes, unlock and deactivate them"),
    grants={Role.TOWN_ADMIN: Level.TOWN},
    models=("accounts.User",),
)
