"""`can.view`, `can.reveal_id` … in every template, from the one role table."""

from . import roles


def permissions(request):
    user = getattr(request, "user", None)
    return {"can": {action: roles.can(user, action) for action in roles.ACTIONS}}
