"""What every API view shares: Django errors become translated 4xx answers, and scope comes from restrict()."""

from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404
from django.http.request import RawPostDataException
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import NotInScope
from ..permissions import can

if TYPE_CHECKING:
    # the mixins below go in front of DRF views: the type checker sees those views' methods behind super()
    from rest_framework.generics import GenericAPIView as _GenericAPIView
    from rest_framework.views import APIView as _APIView
else:
    _APIView = _GenericAPIView = object
from .. import idempotency


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
    def __init__(self, stored: idempotency.StoredResult):
        self.stored = stored


class IdempotentMixin(_APIView):
    """A POST or PUT sent again with the same `Idempotency-Key` gets the first answer back instead of a second
    write (a cadre on a weak signal retries). The key is the client's, per user, and is claimed in the write's own
    transaction before the view runs (`core.idempotency`): overlapping retries write once. The same key on another
    URL or with another body is a 422; an answer that is an error is not kept (the request rolls back whole)."""

    # False (e.g. `@action(..., idempotent=False)`) for an answer that must never be stored: a reveal.
    idempotent = True
    _idempotency_request = None  # (key, body hash) when the request carries a key
    _idempotency_claim = None  # (user, key) once this request holds the key

    def dispatch(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "")
        if not (key and self.idempotent and request.method in ("POST", "PUT")):
            return super().dispatch(request, *args, **kwargs)
        self._idempotency_request = (key, idempotency.request_hash(_raw_body(request)))
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)  # nothing of a failed request is kept, its claim neither
            elif self._idempotency_claim is not None:
                user, key = self._idempotency_claim
                idempotency.idempotency_complete(
                    user=user, key=key, status_code=response.status_code, body=response.data
                )
            return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._idempotency_request and request.user.is_authenticated:
            key, body_hash = self._idempotency_request
            stored = idempotency.idempotency_claim(
                user=request.user,
                key=key,
                scope=idempotency.Scope(request.method, request.path),
                request_hash=body_hash,
            )
            if stored is not None:
                raise _Replay(stored)
            self._idempotency_claim = (request.user, key)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return Response(
                exc.stored.body, status=exc.stored.status_code, headers={"Idempotent-Replayed": "true"}
            )
        if isinstance(exc, idempotency.IdempotencyError):
            return Response({"detail": exc.message}, status=exc.status_code)
        return super().handle_exception(exc)


def _raw_body(request) -> bytes:
    try:
        return request.body
    except RawPostDataException:  # a form already parsed by middleware: hash its fields instead
        return repr(sorted(request.POST.lists())).encode()


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
