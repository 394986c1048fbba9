"""Gives every request an id (echoed in X-Request-ID) and records its address for the audit log; answers a
service's NotInScope with 404."""

import re
import uuid

from django.core.handlers.exception import response_for_exception
from django.http import Http404

from . import context
from .exceptions import NotInScope

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = context.activate(
            context.RequestContext(ip_address=context.client_ip(request), request_id=request_id)
        )
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response


class NotInScopeMiddleware:
    """A service refused the actor (NotInScope) where the view did not check first: the page's 404, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotInScope):
            return response_for_exception(request, Http404())
        return None
