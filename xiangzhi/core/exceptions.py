"""The one exception for "not in your scope": pages and the API answer it with 404, like a missing record."""

from django.core.exceptions import ObjectDoesNotExist


class NotInScope(ObjectDoesNotExist):
    """Raised by services and selectors for an action or object the principal may not reach."""
