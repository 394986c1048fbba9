"""What every API view shares: Django errors become translated 4xx answers, and scope comes from restrict()."""

from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import NotInScope
from ..models import IdempotencyRecord
from ..permissions import can

if TYPE_CHECKING:
    # the mixins below go in front of DRF views: the type checker sees those views' methods behind super()
    from rest_framework.generics import GenericAPIView as _GenericAPIView
    from rest_framework.views import APIView as _APIView
else:
    _APIView = _GenericAPIView = object


def validation_detail(exc: ValidationError):
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for m in errors.messages]
            if hasattr(errors, "messages")
            else [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, NotInScope | ObjectDoesNotExist):  # out of scope and absent look the same
        exc = Http404()
    return drf_exception_handler(exc, context)


class _Replay(Exception):
    def __init__(self, record):
        self.record = record


class IdempotentMixin(_APIView):
    """A POST or PUT sent again with the same `Idempotency-Key` gets the first answer back instead of a second
    write (a cadre on a weak signal retries). The key is the client's, per user; reusing it on another URL is a 422."""

    _idempotency_key = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get("Idempotency-Key", "")[:64]
        if key and request.method in ("POST", "PUT") and request.user.is_authenticated:
            self._idempotency_key = key
            record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if record is not None:
                raise _Replay(record)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            if (record.method, record.path) != (self.request.method, self.request.path):
                self._idempotency_key = None
                return Response(
                    {"detail": _("This Idempotency-Key was used for another request.")}, status=422
                )
            self._idempotency_key = None
            return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_key and response.status_code < 500:
            IdempotencyRecord.objects.get_or_create(
                user=request.user,
                key=self._idempotency_key,
                defaults={
                    "method": request.method,
                    "path": request.path,
                    "status_code": response.status_code,
                    "body": response.data,
                },
            )
        return response


class RestrictedViewSetMixin(IdempotentMixin, _GenericAPIView):
    """One declaration per viewset: `permissions` maps a viewset action (`list`, `retrieve`, `create`, a custom
    `@action`) to the permission it needs, `"*"` for the rest. Without it the endpoint does not exist for the user
    (404, like an object out of scope), and the queryset is `model.objects.restrict(user, that permission)`."""

    permissions: dict[str, str] = {}

    def required_permission(self) -> str:
        return self.permissions.get(getattr(self, "action", None) or "", self.permissions["*"])

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can(request.user, self.required_permission()):
            raise exceptions.NotFound

    def get_queryset(self):
        assert self.queryset is not None, f"{type(self).__name__} names its model with `queryset`"
        return self.scoped(
            self.queryset.model.objects.restrict(self.request.user, self.required_permission())
        )

    def scoped(self, qs):
        return qs


class RestrictedAPIView(IdempotentMixin, APIView):
    """The same for an API view that is not a viewset: `permissions` maps the HTTP method (`"*"` for any)."""

    permissions: dict[str, str] = {}

    def required_permission(self) -> str | None:
        return self.permissions.get(self.request.method or "", self.permissions.get("*"))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        required = self.required_permission()
        # a method the view does not map is not allowed at all (405 from the handler lookup)
        if required is not None and not can(request.user, required):
            raise exceptions.NotFound


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class EmptySerializer(serializers.Serializer):
    pass
