"""The audit log: which actions exist, what a row keeps of a record, and writing a row.

Each app declares in its own `audit.py` (imported at start-up by `CoreConfig.ready()`, like `permissions.py`):
- its actions, `register_action("<app>.<thing>.<verb>", _("…"))` — namespaced
  `<app>.<thing>.<verb>`, with the label the auditor reads; `audit_record` refuses any other name;
- what a row keeps of each model it audits, once: `register_model(Resident, fields=..., masked={"id_number":
  mask_id_number}, computed={"phones": ...})`. `snapshot(obj)` takes that picture, personal numbers masked, so no
  service writes its own; `audit_diff(before, after)` says what changed.
Services call `audit_record` inside their own transaction, so a write and its audit row commit or roll back
together. The auditor's page and the API read rows back through `audit_changes` and `action_label`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import context
from .models import AuditEntry

ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class AuditAction:
    name: str
    label: Any  # a lazy translation: the auditor reads it in their language
    # Labels of the keys of its rows' before/after that are no field of the target (an export's "rows").
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def app(self) -> str:
        return self.name.split(".", 1)[0]


_ACTIONS: dict[str, AuditAction] = {}


def register_action(name: str, label, *, fields: Mapping[str, Any] | None = None) -> str:
    """Declare an action audit rows may record; returns its name."""
    if not ACTION_NAME.match(name):
        raise ValueError(f"audit action {name!r} must be named <app>.<thing>.<verb>")
    action = AuditAction(name, label, dict(fields or {}))
    existing = _ACTIONS.get(name)
    if existing is not None and existing != action:
        raise ValueError(f"audit action {name!r} registered twice, differently")
    _ACTIONS[name] = action
    return name


def audit_actions() -> list[AuditAction]:
    return sorted(_ACTIONS.values(), key=lambda a: a.name)


def get_audit_action(name: str) -> AuditAction:
    try:
        return _ACTIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown audit action {name!r}; declare it with register_action() in the app's audit.py"
        ) from None


def action_label(name: str) -> str:
    """What the auditor reads for an action; the code itself for a row written before its action was declared."""
    action = _ACTIONS.get(name)
    return str(action.label) if action else name


@dataclass(frozen=True)
class AuditedModel:
    """What an audit row keeps of one model: `fields` as stored (foreign keys as ids), `masked` fields passed
    through their mask first, `computed` values read around the record (a resident's phones and flags)."""

    model: type[models.Model]
    fields: tuple[str, ...]
    masked: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    computed: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    labels: Mapping[str, Any] = field(default_factory=dict)  # for computed values and other keys of its rows
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)  # how the auditor reads a value
    link: tuple[str, str] | None = None  # (URL name taking the pk, permission needed to follow it)


_MODELS: dict[str, AuditedModel] = {}


def register_model(
    model: type[models.Model],
    *,
    fields: tuple[str, ...] | list[str],
    masked: Mapping[str, Callable[[Any], Any]] | None = None,
    computed: Mapping[str, Callable[[Any], Any]] | None = None,
    labels: Mapping[str, Any] | None = None,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    link: tuple[str, str] | None = None,
) -> AuditedModel:
    for name in fields:
        model._meta.get_field(name)  # a typo fails at start-up, not in the first audit row
    if set(masked or {}) - set(fields):
        raise ValueError(f"{model._meta.label}: a masked field must be one of the fields kept")
    spec = AuditedModel(
        model,
        tuple(fields),
        masked=dict(masked or {}),
        computed=dict(computed or {}),
        labels=dict(labels or {}),
        formats=dict(formats or {}),
        link=link,
    )
    _MODELS[model._meta.label_lower] = spec
    return spec


def audited_models() -> dict[str, AuditedModel]:
    return dict(_MODELS)


def snapshot(obj: models.Model) -> dict:
    """What an audit row keeps of a record, as its model declared it: numbers masked, foreign keys as ids."""
    spec = _MODELS.get(obj._meta.label_lower)
    if spec is None:
        raise LookupError(f"{obj._meta.label} is not declared with register_model() in its app's audit.py")
    out = {}
    for name in spec.fields:
        model_field = obj._meta.get_field(name)
        value = getattr(obj, getattr(model_field, "attname", name))  # a foreign key as its id
        out[name] = spec.masked[name](value) if name in spec.masked else value
    for name, compute in spec.computed.items():
        out[name] = compute(obj)
    return out


def _jsonable(value):
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return str(value)  # dates, decimals: their ISO text


def audit_diff(before: Mapping | None, after: Mapping | None) -> dict[str, tuple[Any, Any]]:
    """The keys whose value differs, as (before, after); a key missing on one side is None there. Values are
    compared as a row stores them (JSON), so a date and its ISO text are the same value."""
    before, after = _jsonable(before or {}), _jsonable(after or {})
    keys = list(after) + [k for k in before if k not in after]
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


def audit_record(*, actor, action: str, target=None, town=None, before=None, after=None) -> AuditEntry:
    get_audit_action(action)  # an undeclared action is a programming error, caught by the tests
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
        client_request_id=ctx.client_request_id,
    )
    entry.save()
    return entry


def audit_record_lasting(**row) -> None:
    """An audit row that must outlive the write it reports: a refusal (an ID number already registered) rolls the
    write back, and the row with it if written in the same transaction. Within a request the row is written when
    the request ends, outside its transactions; outside one (a command, a test) at once."""
    get_audit_action(row["action"])
    deferred = context.current().deferred
    if deferred is None:
        audit_record(**row)
    else:
        deferred.append(row)


def audit_over_limit(*, actor, action: str, since, limit: int):
    """For a per-user rate limit: None while `actor` recorded `action` at most `limit` times since a moment, else
    when the limit-th latest of those rows was written (one more passes once that row is out of the window). One
    read of at most two rows on the index (actor, action, created_at), however many rows the window holds."""
    get_audit_action(action)
    times = (
        AuditEntry.objects.unrestricted("the actor's own rows, counted for a rate limit")
        .filter(actor=actor, action=action, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    if limit <= 0:
        return next(iter(times[:1]), None)
    pair = list(times[limit - 1 : limit + 1])
    return pair[0] if len(pair) == 2 else None


def audit_save(*, actor, obj, action_prefix: str) -> AuditEntry:
    """Save a set-up record with its audit row: `<prefix>.create`, or `<prefix>.update` with before and after."""
    before = snapshot(type(obj)._base_manager.get(pk=obj.pk)) if obj.pk else None
    obj.save()
    action = f"{action_prefix}.update" if before else f"{action_prefix}.create"
    return audit_record(actor=actor, action=action, target=obj, before=before, after=snapshot(obj))


# ----------------------------------------------------------------------------------------- reading rows back


@dataclass(frozen=True)
class AuditChange:
    key: str  # as the row stores it
    label: str
    before: Any
    after: Any


def _model(label_lower: str):
    if not label_lower:
        return None
    try:
        return apps.get_model(label_lower)
    except (LookupError, ValueError):
        return None


def _model_field(model, name: str):
    if model is None:
        return None
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return model_field if model_field.concrete else None  # not a reverse relation named like a computed value


def target_kind(entry: AuditEntry) -> str:
    """The kind of record a row is about, in the reader's language (户, 居民 …)."""
    model = _model(entry.target_type)
    return str(model._meta.verbose_name) if model is not None else entry.target_type


def audit_changes(entry: AuditEntry) -> list[AuditChange]:
    """What a row says changed, field by field, labelled in the reader's language; raw values as stored."""
    action = _ACTIONS.get(entry.action)
    spec = _MODELS.get(entry.target_type)
    model = _model(entry.target_type)
    changes = []
    for name, (before, after) in audit_diff(entry.before, entry.after).items():
        model_field = _model_field(model, name)
        label = (
            (action.fields.get(name) if action else None)
            or (spec.labels.get(name) if spec else None)
            or (model_field.verbose_name if model_field is not None else None)
            or name
        )
        changes.append(AuditChange(name, str(label), before, after))
    return changes


def display_value(entry: AuditEntry, change: AuditChange, value) -> str:
    """A stored value as the auditor reads it: as its model says (`formats`), choices by their label, yes/no,
    lists on one line."""
    spec = _MODELS.get(entry.target_type)
    if spec is not None and change.key in spec.formats and value not in (None, "", []):
        return spec.formats[change.key](value)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(display_value(entry, change, v) for v in value)
    if isinstance(value, dict):
        return " ".join(display_value(entry, change, v) for v in value.values() if v not in (None, ""))
    model_field = _model_field(_model(entry.target_type), change.key)
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


register_action(
    "core.task.retry",
    gettext_lazy("ran a failed background task again"),
    fields={
        "task": gettext_lazy("task"),
        "failed_run": gettext_lazy("failed run"),
        "new_run": gettext_lazy("new run"),
    },
)
