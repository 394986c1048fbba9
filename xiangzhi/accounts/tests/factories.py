"""Accounts with their roles.

Two paths, as in a real town:
  * `UserFactory(created_by=admin, roles=[...])` goes through `accounts.services.user_create`: audited, and the
    account must change its password at its first login;
  * without `created_by`, the account is made the way the installer and `demo_town` make the first ones (there is
    no actor yet, so no service and no audit row): ready to use, its roles written as `RoleAssignment` rows. The
    shared fixtures use this path, so the audit log of a test holds only what the test did.
"""

from collections.abc import Sequence

import factory

from xiangzhi.accounts import services
from xiangzhi.accounts.models import RoleAssignment, User
from xiangzhi.accounts.services import RoleInput
from xiangzhi.core.permissions import Role

PASSWORD = "pw-for-tests-123"


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = PASSWORD
    display_name = ""
    town = None  # the installer's path only; `user_create` gives the account its creator's town
    roles: Sequence[RoleInput] = ()
    created_by = None

    @classmethod
    def _create(cls, model_class, *args, created_by=None, town=None, roles=(), **kwargs):
        if created_by is not None:
            return services.user_create(actor=created_by, roles=roles, **kwargs)
        user = User.objects.create_user(town=town, **kwargs)
        for given in roles:
            assignment = RoleAssignment.objects.create(user=user, role=given.role, village=given.village)
            assignment.groups.set(given.groups)
        return user


def town_admin(town, username: str = "admin", **extra) -> User:
    """The first administrator of a town (the installer's account)."""
    return UserFactory.create(username=username, town=town, roles=[RoleInput(Role.TOWN_ADMIN)], **extra)
