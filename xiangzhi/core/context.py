"""The request a service runs under (IP address, request id), for audit rows; empty outside a request."""

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    request_id: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "xiangzhi_request",
    default=RequestContext(),  # noqa: B039 (frozen, never mutated)
)


def current() -> RequestContext:
    return _current.get()


def activate(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)
