"""Writing audit rows. Services call `audit_record` inside their own transaction, so a write and its audit
row commit or roll back together. Personal numbers are masked before they reach a row."""

from django.db import models

from . import context
from .models import AuditEntry


def _jsonable(value):
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def audit_record(*, actor, action: str, target=None, town=None, before=None, after=None) -> AuditEntry:
    ctx = context.current()
    if town is None and target is not None:
        town = getattr(target, "town", None)
    if town is None and actor is not None and getattr(actor, "town_id", None):
        town = actor.town
    entry = AuditEntry(
        town=town,
        actor=actor if actor is not None and actor.pk else None,
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        before=_jsonable(before),
        after=_jsonable(after),
        ip_address=ctx.ip_address,
        request_id=ctx.request_id,
    )
    entry.save()
    return entry


def snapshot(obj, fields) -> dict:
    """The named fields of a record as an audit row keeps them (foreign keys as their ids)."""
    out = {}
    for name in fields:
        if not hasattr(obj, name):
            continue
        field = obj._meta.get_field(name)
        out[name] = getattr(obj, field.attname)
    return out


def audit_save(*, actor, obj, action_prefix: str, fields) -> AuditEntry:
    """Save a set-up record with its audit row: `<prefix>.create`, or `<prefix>.update` with before and after."""
    before = snapshot(type(obj)._base_manager.get(pk=obj.pk), fields) if obj.pk else None
    obj.save()
    action = f"{action_prefix}.update" if before else f"{action_prefix}.create"
    return audit_record(actor=actor, action=action, target=obj, before=before, after=snapshot(obj, fields))
