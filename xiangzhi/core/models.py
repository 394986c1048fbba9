"""The tenant root (Town), the base of every town-scoped table, and the audit log: append-only rows for every
write and every reveal of personal data."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .scoping import RestrictedManager, RestrictedQuerySet, Scope


class Town(models.Model):
    """The tenant: every tenant table carries it (the distribution key should a county shard by town)."""

    name = models.CharField(pgettext_lazy("of a place or a flag", "name"), max_length=60)
    code = models.CharField(_("statistical division code"), max_length=12, blank=True)

    objects = RestrictedManager()
    scope = Scope(town="pk")

    class Meta:
        verbose_name = _("town (镇)")
        verbose_name_plural = _("towns")

    def __str__(self):
        return self.name


class TownScopedModel(models.Model):
    """Base of every tenant table: it belongs to one town and is read through `restrict()`."""

    town = models.ForeignKey(Town, on_delete=models.PROTECT, verbose_name=_("town"), related_name="+")

    objects = RestrictedManager()

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit rows are never edited")

    def delete(self):
        raise AppendOnlyError("audit rows are never deleted")


class AuditEntry(models.Model):
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, null=True, verbose_name=_("town"), related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, verbose_name=_("actor")
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # what the client called the request (its X-Request-ID): its claim, kept apart from our request_id
    client_request_id = models.CharField(_("client's request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = AuditQuerySet.as_manager()
    scope = Scope(town="town")

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["town", "-created_at"]),
            models.Index(fields=["target_type", "target_id"]),
            # a per-user rate limit counts an actor's recent rows of one action (registry number searches)
            models.Index(fields=["actor", "action", "created_at"], name="audit_actor_action_time"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit rows are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit rows are never deleted")


class IdempotencyRecord(models.Model):
    """A write claimed under a client's key (`core.idempotency`): inserted in the write's own transaction before the
    write runs (pending: `status_code` null), filled with the answer before it commits, replayed on a retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)  # sha256 hex of the request body
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return self.key


class ScheduledJob(models.Model):
    """When a periodic background job (`core.background.periodic`) is next due; the worker claims it by moving
    `next_run_at` forward in one UPDATE. Not a tenant table: a job runs for every town."""

    name = models.CharField(_("job"), max_length=200, primary_key=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_enqueued_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self):
        return self.name
