"""Gives every request an id of ours (answered in X-Request-ID; a client's own id is kept beside it, never as it)
and records its address for the audit log; answers a service's NotInScope with 404."""

import base64
import os
import re

from django.core.exceptions import ObjectDoesNotExist
from django.core.handlers.exception import response_for_exception
from django.http import Http404
from django.utils.cache import patch_cache_control

from . import context
from .audit import audit_record

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id() -> str:
    """120 random bits in lower-case base32 (a–z, 2–7): no run of digits in it can pass for a phone or ID number in
    an audit row or a log (a hex id now and then held eleven digits that looked like a mobile number)."""
    return base64.b32encode(os.urandom(15)).decode().lower()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Our id is always fresh: a client choosing it could make its audit rows collide with another request's.
        # The client's id, when it has a safe shape, is kept apart so both ends can be traced.
        request_id = new_request_id()
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = request_id
        deferred: list[dict] = []
        token = context.activate(
            context.RequestContext(
                ip_address=context.client_ip(request),
                request_id=request_id,
                client_request_id=incoming if _SAFE_ID.fullmatch(incoming) else "",
                deferred=deferred,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            try:
                # rows that must stay although the request's write rolled back (a refused duplicate ID)
                for row in deferred:
                    audit_record(**row)
            finally:
                context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response


class NotFoundMiddleware:
    """A record out of the user's scope (`NotInScope`, or a restricted `DoesNotExist`) is a 404 on every page, the
    same answer as a record that does not exist — never a 500 because a view forgot to catch it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ObjectDoesNotExist):
            return response_for_exception(request, Http404())
        return None


class NoStoreMiddleware:
    """Pages and API answers may carry personal data (a card, a reveal, an export): no browser or proxy keeps a copy
    (`Cache-Control: no-store`). Static files are answered before this runs (WhiteNoise) and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") or "no-store" not in response["Cache-Control"]:
            patch_cache_control(response, no_store=True, private=True)
        return response
