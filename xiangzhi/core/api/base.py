"""What every API view shares: Django errors become translated 4xx answers, and scope comes from restrict()."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler


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
    elif isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    return drf_exception_handler(exc, context)


class RestrictedViewSetMixin:
    """A viewset's queryset is always `model.objects.restrict(request.user, action)`; subclasses may narrow it."""

    restrict_action = "view"

    def get_queryset(self):
        return self.scoped(self.queryset.model.objects.restrict(self.request.user, self.restrict_action))

    def scoped(self, qs):
        return qs


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class EmptySerializer(serializers.Serializer):
    pass
