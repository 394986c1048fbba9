"""What every page shares: one declaration of the action a view needs, and one way to run a service from a form.

`@requires(perms.CHANGE)` (an app's registered action) is login + the action + 404 for anyone without it (a page a role may not use looks
like one that does not exist). Selectors and services raise `DoesNotExist` / `NotInScope` for records outside the
user's scope; `core.middleware.NotFoundMiddleware` answers those with the same 404.
"""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from .permissions import can


def requires(action: str, *, login_url: str | None = None):
    """The page needs `action`: a visitor goes to sign in (at `login_url`, else the staff login page), a user
    without the action gets 404."""

    def decorator(view):
        @wraps(view)
        @login_required(login_url=login_url)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, action):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.required_action = action  # type: ignore[attr-defined]  # read by tests and the docs
        return wrapped

    return decorator


def apply_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named fields, or on the form as a whole. A form whose
    fields are not the service's (one "phones" list, three phone slots) places the others with `place_error`."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            if field in form.fields:
                form.add_error(field, errors)
            elif not (hasattr(form, "place_error") and form.place_error(field, errors)):
                form.add_error(None, errors)
    else:
        form.add_error(None, exc)


def form_saved(request, form, save, done: str | None = None) -> bool:
    """On a valid POST call `save(**form.cleaned_data)` (a service) and flash `done`; a service's ValidationError
    lands on the form. True when saved, so the view redirects (post/redirect/get)."""
    if request.method != "POST" or not form.is_bound or not form.is_valid():
        return False
    try:
        save(**form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        return False
    if done:
        messages.success(request, done)
    return True


def form_page(
    request, form, save, *, success, done: str | None = None, template="core/form.html", context=None
):
    """The whole of a service-backed form page, so a view states only its form, its service, where to go and what
    to say. A GET or an invalid POST renders `template` with `form` and `context`; a valid POST calls
    `save(**form.cleaned_data)` (the service), flashes `done` and redirects (post/redirect/get) to `success`: a
    URL, or a callable given what `save` returned (the new household, say). A service's ValidationError lands on
    the form (`form_saved`); a record out of scope raises on to `NotFoundMiddleware`, a 404. `context` may be
    filled in by `save` before it raises, as it is rendered afterwards."""
    saved = []
    if form_saved(request, form, lambda **data: saved.append(save(**data)), done):
        return redirect(success(saved[0]) if callable(success) else success)
    return render(request, template, {"form": form, **(context or {})})


HTMX_VARY = ("HX-Request", "HX-History-Restore-Request")


def vary_on_htmx(response):
    """Mark a response that depends on whether htmx asked: a cache (the browser's, on Back) must not give the
    fragment htmx fetched for a URL to a plain visit of the same URL, or the page to htmx."""
    patch_vary_headers(response, HTMX_VARY)
    return response


def render_page_or_fragment(request, template: str, fragment: str, context: dict):
    """The whole page, or only `fragment` when htmx swaps it into the page. A history restore wants the whole
    page even from htmx: htmx 2 puts that answer in place of <body>."""
    wants_fragment = request.htmx and not request.htmx.history_restore_request
    return vary_on_htmx(render(request, fragment if wants_fragment else template, context))


def pdf_response(data: bytes, ascii_name: str, name: str) -> HttpResponse:
    """A PDF shown in the browser (inline), saved under a name in the page's language (RFC 6266)."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return response


def no_pdf_font(request, exc) -> HttpResponse:
    """No Chinese font on the server (`core.pdf.NoPdfFont`): say so, in the user's language, instead of a 500 or
    a PDF of boxes."""
    return render(request, "core/error.html", {"code": 503, "message": exc.message}, status=503)
