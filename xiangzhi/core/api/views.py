"""The audit log over the API, with the page's filters."""

from rest_framework import serializers

from .. import permissions as perms
from ..filtersets import AuditEntryFilter
from ..models import AuditEntry
from .base import RestrictedReadOnlyViewSet


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_name",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "before",
            "after",
            "ip_address",
            "request_id",
        ]


class AuditEntryViewSet(RestrictedReadOnlyViewSet):
    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    permissions = {"*": perms.VIEW_AUDIT}
