"""The audit log over the API, with the page's filters."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view, inline_serializer
from rest_framework import serializers

from .. import audit
from .. import permissions as perms
from ..filtersets import AuditEntryFilter
from ..models import AuditEntry
from .base import RestrictedReadOnlyViewSet

# what changed in one field; `label` is the field's name in the reader's language
AUDIT_CHANGE = inline_serializer(
    "AuditChange",
    fields={
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "before": serializers.JSONField(),
        "after": serializers.JSONField(),
    },
    many=True,
)


class AuditEntrySerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_name",
            "action",
            "action_label",
            "target_type",
            "target_id",
            "target_repr",
            "before",
            "after",
            "ip_address",
            "request_id",
            "client_request_id",
            "changes",
        ]

    def get_action_label(self, entry) -> str:
        return audit.action_label(entry.action)

    @extend_schema_field(AUDIT_CHANGE)
    def get_changes(self, entry) -> list[dict]:
        """What changed, field by field, with the field's label; values as stored."""
        return [vars(c) for c in audit.audit_changes(entry)]


@extend_schema_view(
    list=extend_schema(
        summary=_("Read the audit log"),
        description=_(
            "Who did what and when — sign-ins, changes, reveals and exports — newest first, with the same filters "
            "as the audit log page."
        ),
    ),
    retrieve=extend_schema(
        summary=_("One audit entry"),
        description=_("One entry of the audit log, with what changed, field by field."),
    ),
)
class AuditEntryViewSet(RestrictedReadOnlyViewSet):
    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    permissions = {"*": perms.VIEW_AUDIT}
