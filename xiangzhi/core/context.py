"""The request a service runs under (IP address, request id), for audit rows; empty outside a request."""

import contextvars
import ipaddress
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    request_id: str = ""
    client_request_id: str = ""  # the client's X-Request-ID, if it had a safe shape
    # audit rows to write when the request ends, outside its transactions (core.audit.audit_record_lasting);
    # None outside a request
    deferred: list | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "xiangzhi_request",
    default=RequestContext(),  # noqa: B039 (frozen, never mutated; `deferred` is None here)
)


def current() -> RequestContext:
    return _current.get()


def activate(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)


def client_ip(request) -> str | None:
    """The client's address. Behind XIANGZHI_PROXY_COUNT trusted reverse proxies it is the entry that many places
    from the right of X-Forwarded-For (what the nearest proxy saw); entries further left are the client's own
    claim and are never believed. Used by the audit log and by the login lockout."""
    count = settings.XIANGZHI_PROXY_COUNT
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= count:
            candidate = hops[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")
