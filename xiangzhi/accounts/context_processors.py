"""`can.registry.view`, `can.areas.configure` … in every template, from the registered permissions."""

from xiangzhi.core.permissions import actions, can


def permissions(request):
    user = getattr(request, "user", None)
    table: dict[str, dict[str, bool]] = {}
    for action in actions():
        table.setdefault(action.app, {})[action.short] = can(user, action.name)
    return {"can": table}
