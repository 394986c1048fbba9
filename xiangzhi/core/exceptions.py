"""Exceptions every app's services raise and every page and API answer the same way."""

from django.core.exceptions import ObjectDoesNotExist


class NotInScope(ObjectDoesNotExist):
    """The actor may not touch this record, or take this action at all. Services raise it when they re-check
    scope; pages (core.middleware.NotFoundMiddleware) and the API (core.api.base.exception_handler) answer 404,
    the same as for a record that does not exist, so a view that forgets its own check still never answers 500
    nor tells an outsider that the record is there."""
