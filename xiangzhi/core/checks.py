"""System checks run at start-up: every model a permission guards can be scoped at every level it is granted."""

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist

from .permissions import actions
from .scoping import RestrictedQuerySet, Scope


def _resolves(model, lookup: str) -> bool:
    if lookup == "pk":
        return True
    current = model
    for part in lookup.split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.is_relation and field.related_model is not None:
            current = field.related_model
        elif part != lookup.split("__")[-1]:
            return False
    return True


@checks.register()
def check_scopes(app_configs=None, **kwargs):
    errors = []
    for action in actions():
        for label in action.models:
            try:
                model = apps.get_model(label)
            except LookupError:
                errors.append(
                    checks.Error(f"{action.name} guards {label}, which is no model", id="xiangzhi.E001")
                )
                continue
            scope = getattr(model, "scope", None)
            if not isinstance(scope, Scope) or not isinstance(
                model._default_manager.all(), RestrictedQuerySet
            ):
                errors.append(
                    checks.Error(
                        f"{label} has no Scope or no restricted manager", obj=model, id="xiangzhi.E002"
                    )
                )
                continue
            for name in ("town", "village", "group", "household", "shop", "device"):
                lookup = getattr(scope, name)
                if lookup and not _resolves(model, lookup):
                    errors.append(
                        checks.Error(
                            f"{label}.scope.{name} = {lookup!r} does not resolve",
                            obj=model,
                            id="xiangzhi.E003",
                        )
                    )
            for role, level in action.grants.items():
                if not scope.covers(level):
                    errors.append(
                        checks.Error(
                            f"{action.name} grants {role} the {level.value} level on {label}, whose scope has no "
                            f"lookup for it",
                            obj=model,
                            id="xiangzhi.E004",
                        )
                    )
    return errors
