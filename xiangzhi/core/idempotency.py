"""Idempotency that holds under concurrency: a client's key is claimed in the write's own transaction, before the
write runs, so of two overlapping retries only one writes and the other replays its answer.

How it holds: `idempotency_claim` INSERTs the key (unique per user) in a pending state inside the caller's
transaction. On PostgreSQL a concurrent insert of the same key waits on the unique index until the first
transaction ends: if it committed, the insert fails and the stored answer is replayed; if it rolled back, the key
is free and the second request goes ahead — nothing was written twice, nothing was lost. Under SQLite a write
transaction holds the database lock, so retries run one after another. A key seen still pending (the same
transaction claiming it twice, or another isolation) is `IdempotencyInFlight` — a 409, never a wait.

What is kept: only answers of writes that committed. A request that fails (a 4xx from a ValidationError, a 404,
a 500) rolls back with its claim, so a corrected retry under the same key goes ahead; replaying an error would only
keep the client from fixing its request. Records are purged after `XIANGZHI_IDEMPOTENCY_RETENTION` (24 h).

Three users: `IdempotentMixin` (API `Idempotency-Key` header, core/api/base.py), `idempotent_form` with
`{% idempotency_field %}` (a page form's one-time token) and services (a ledger debit), which call
`idempotency_claim` and `idempotency_complete` inside their own `transaction.atomic`.
"""

import base64
import datetime
import functools
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyRecord

KEY_LENGTH = 64
# The name of the hidden input `{% idempotency_field %}` renders and `idempotent_form` claims.
FORM_FIELD = "idempotency_token"


@dataclass(frozen=True)
class Scope:
    """What a key was used for: an HTTP method and path, or for a service ("CALL", "<app>.<service>")."""

    method: str
    path: str


@dataclass(frozen=True)
class StoredResult:
    status_code: int
    body: Any


class IdempotencyError(Exception):
    """The key cannot be used for this request; `status_code` is the HTTP answer, the message is translated."""

    status_code = 422

    def __init__(self, message: str, *, stored: StoredResult | None = None):
        super().__init__(message)
        self.message = message
        # The answer kept under the key, when there is one (a page shows it instead of the error).
        self.stored = stored


class IdempotencyKeyReused(IdempotencyError):
    """The key was used for another endpoint or with another request body: 422."""


class IdempotencyInFlight(IdempotencyError):
    """The key is claimed by a write that has not finished: 409 (retry later)."""

    status_code = 409


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def idempotency_claim(*, user, key: str, scope: Scope, request_hash: str) -> StoredResult | None:
    """Claim `key` for this request inside the caller's transaction. None: go ahead, then call
    `idempotency_complete` before the transaction commits. A StoredResult: the request already ran, answer with it.
    Raises IdempotencyKeyReused or IdempotencyInFlight."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        # In autocommit the pending claim would commit alone and outlive a failed write.
        raise transaction.TransactionManagementError("idempotency_claim needs the write's transaction")
    key = key[:KEY_LENGTH]
    scope = Scope(scope.method[:8], scope.path[:200])  # the columns' lengths, so a long path is no DataError
    for _attempt in range(2):
        try:
            # A savepoint: the IntegrityError of a taken key must not break the caller's transaction.
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user=user, key=key, method=scope.method, path=scope.path, request_hash=request_hash
                )
            return None
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is not None:
            return _stored_or_refused(record, scope, request_hash)
        # purged between the insert and the read: the key is free again
    raise IdempotencyInFlight(_("A request with this key is still being processed; try again in a moment."))


def _stored_or_refused(record: IdempotencyRecord, scope: Scope, request_hash: str) -> StoredResult:
    stored = None if record.status_code is None else StoredResult(record.status_code, record.body)
    if (record.method, record.path) != (scope.method, scope.path):
        raise IdempotencyKeyReused(_("This Idempotency-Key was used for another request."))
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was used with a different request body."), stored=stored
        )
    if stored is None:
        raise IdempotencyInFlight(
            _("A request with this key is still being processed; try again in a moment.")
        )
    return stored


def idempotency_complete(*, user, key: str, status_code: int, body: Any) -> None:
    """Keep the answer of a claimed request, in the same transaction as its write."""
    IdempotencyRecord.objects.filter(user=user, key=key[:KEY_LENGTH], status_code__isnull=True).update(
        status_code=status_code, body=body
    )


def idempotency_purge(*, older_than: datetime.timedelta | None = None) -> int:
    """Delete records older than `older_than` (default XIANGZHI_IDEMPOTENCY_RETENTION); returns how many."""
    if older_than is None:
        older_than = settings.XIANGZHI_IDEMPOTENCY_RETENTION
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def new_form_token() -> str:
    # A uuid4 in URL-safe base64, not hex: hex digits run long enough to look like a phone number to the privacy
    # scan (and to a reader); 22 characters of base64 practically never hold 11 digits in a row.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def _form_hash(request) -> str:
    # The fields as posted, not the raw body: the CSRF token and the one-time token are not the form's content.
    items = sorted(
        (k, v) for k, vs in request.POST.lists() for v in vs if k not in (FORM_FIELD, "csrfmiddlewaretoken")
    )
    return request_hash(repr(items).encode())


def idempotent_form(view):
    """A page's POST carrying `{% idempotency_field %}` runs once: the token is claimed in the POST's transaction,
    and a second submit of it (a double click, a resend after a lost answer, the back button) is redirected to
    where the first one went. Only redirects are kept (post/redirect/get): a form shown again with its errors
    rolls back, claim included, so the corrected form can be sent with the same token."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        token = request.POST.get(FORM_FIELD, "") if request.method == "POST" else ""
        if not token or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                stored = idempotency_claim(
                    user=request.user,
                    key=token,
                    scope=Scope("POST", request.path),
                    request_hash=_form_hash(request),
                )
            except IdempotencyError as exc:
                if exc.stored is None:
                    return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain")
                stored = exc.stored  # the same form sent again with changes: it was saved the first time
            if stored is not None:
                messages.info(request, _("This form was already saved; here is the result."))
                return redirect(stored.body["location"])
            response = view(request, *args, **kwargs)
            if response.status_code in (301, 302, 303) and response.has_header("Location"):
                idempotency_complete(
                    user=request.user, key=token, status_code=303, body={"location": response["Location"]}
                )
            else:
                transaction.set_rollback(True)
            return response

    return wrapper
