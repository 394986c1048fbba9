"""The OpenAPI schema tells integrators every answer an endpoint gives, errors included: the base API classes
answer the same errors everywhere (an action the user lacks or an object out of scope is a 404, a request without
a valid login a 403, input that does not validate a 400), so they are documented here once, from the view, instead
of on every endpoint. `xiangzhi/tests/test_api_contract.py` holds the answers to this schema."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from .base import IdempotentMixin, RestrictedAPIView, RestrictedViewSetMixin


class ErrorSerializer(serializers.Serializer):
    """What every error but a validation error carries."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text="A stable name of the error, when it has one.")


# A validation error names each field it refuses with a list of messages (`non_field_errors` for the whole
# request); a nested field nests the same shape, and a malformed body is `{"detail": …}`.
VALIDATION_ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description=_("The request does not validate."))
ERRORS = {
    "403": OpenApiResponse(
        ErrorSerializer, description=_("Not signed in, or the password must be changed first.")
    ),
    "404": OpenApiResponse(
        ErrorSerializer,
        description=_(
            "No such object, or none the user may see; an action the user lacks; a page past the end."
        ),
    ),
    "409": OpenApiResponse(
        ErrorSerializer, description=_("A request with this Idempotency-Key is still running.")
    ),
    "422": OpenApiResponse(
        ErrorSerializer, description=_("This Idempotency-Key was used for another request or another body.")
    ),
}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=_(
        "The client's key for this write: a retry with the same key and body gets the first answer back "
        "(header `Idempotent-Replayed: true`) instead of a second write. Kept 24 hours; up to 64 characters count."
    ),
)


# The docs group operations under these headings, by the first part of the path after /api/v1/.
TAGS = {
    "registry": _("Registry"),
    "areas": _("Villages and groups"),
    "audit": _("Audit log"),
    "auth": _("Accounts"),
    "me": _("Accounts"),
}


class AutoSchema(SpectacularAutoSchema):
    def get_tags(self) -> list[str]:
        first = self.path.removeprefix("/api/v1/").split("/", 1)[0]
        return [str(TAGS[first])] if first in TAGS else super().get_tags()

    def get_description(self) -> str:  # type: ignore[override]
        """An operation's description is the one its `extend_schema(description=…)` gives, written for the people
        who use the API; a view's docstring is written for developers and never reaches the documentation."""
        return ""

    def _is_idempotent_write(self) -> bool:
        return (
            isinstance(self.view, IdempotentMixin) and self.view.idempotent and self.method in ("POST", "PUT")
        )

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_idempotent_write():
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _error_codes(self) -> list[str]:
        codes = []
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        filters = self._get_filter_parameters() if self._is_list_view() else {}
        query = [p for p in self.get_override_parameters() if getattr(p, "location", None) == "query"]
        if has_body or filters or query:
            codes.append("400")
        if any(isinstance(p, IsAuthenticated) for p in self.view.get_permissions()):
            codes.append("403")
        paginated = self._is_list_view() and self._get_paginator() is not None
        if isinstance(self.view, RestrictedViewSetMixin | RestrictedAPIView) or "{" in self.path or paginated:
            codes.append("404")
        if self._is_idempotent_write():
            codes += ["409", "422"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                error = VALIDATION_ERROR if code == "400" else ERRORS[code]
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        return responses
