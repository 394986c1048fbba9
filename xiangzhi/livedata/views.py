"""Change requests: filing (a resident's own page in the portal, or staff for a resident without a phone), the
village's review queue, one request with its decision, and its document photo for who may see it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from xiangzhi.core.files import private_file_response
from xiangzhi.core.idempotency import idempotent_form
from xiangzhi.core.pages import apply_errors, requires
from xiangzhi.core.permissions import can
from xiangzhi.registry import permissions as registry_perms
from xiangzhi.registry.models import Household

from . import permissions as perms
from . import selectors, services
from .choices import PHOTO_KINDS, Kind, State
from .forms import ApproveForm, PhotoForm, RejectForm, RequestForm

STAFF_PAGE = "livedata/page.html"


def _pick(members, pk):
    return next((r for r in members if str(r.pk) == str(pk)), None) if pk else None


def filing_page(request, *, household, members, proxy: bool, page: str, done, cancel: str):
    """The three steps of filing, for residents and staff alike: choose what to change, fill it in, see what will
    change (before → after, numbers masked) and send it (with the photo, for a correction)."""
    kind = request.POST.get("kind") or request.GET.get("kind")
    context = {"household": household, "cancel": cancel, "kinds": Kind.choices, "proxy": proxy}
    if kind not in Kind.values:
        return render(request, page, {**context, "body": "livedata/_kinds.html"})
    members = list(members)
    ids_allowed = not proxy or can(request.user, registry_perms.REVEAL_ID)
    form_args = {"kind": kind, "members": members, "proxy": proxy, "ids_allowed": ids_allowed}
    step = request.POST.get("step") if request.method == "POST" else None
    form = RequestForm(request.POST if step in ("preview", "confirm") else None, **form_args)
    context |= {"kind": kind, "kind_label": Kind(kind).label, "form": form}
    if step in ("preview", "confirm") and form.is_valid():
        args = {
            "actor": request.user,
            "kind": kind,
            "household": household,
            "resident": _pick(members, form.cleaned_data.get("resident")),
            "asked_by": _pick(members, form.cleaned_data.get("asked_by")),
            "data": form.data_for_service(),
        }
        photo_form = PhotoForm(request.POST if step == "confirm" else None, request.FILES or None)
        try:
            if step == "preview":
                draft = services.change_request_build(**args, preview=True)
            else:
                photo = request.FILES.get("photo") if kind in PHOTO_KINDS else None
                saved = services.change_request_file(**args, photo=photo)
                messages.success(request, _("Sent. You will get a message when the village has decided."))
                return redirect(done(saved))
        except ValidationError as exc:
            if step == "confirm" and hasattr(exc, "error_dict") and set(exc.error_dict) == {"photo"}:
                draft = services.change_request_build(**args, preview=True)
                apply_errors(photo_form, exc)
            else:
                apply_errors(form, exc)
                return render(request, page, {**context, "body": "livedata/_form.html"})
        hidden = RequestForm(request.POST, **form_args, hidden=True)
        context |= {
            "hidden": hidden,
            "changes": services.changes(draft, show_ids=True),
            "about": draft.resident,
            "needs_head": draft.state == State.AWAITING_HEAD,
            "photo_form": photo_form if kind in PHOTO_KINDS else None,
        }
        return render(request, page, {**context, "body": "livedata/_confirm.html"})
    if step == "edit":  # back from the confirmation page: the form again, filled in as it was
        context["form"] = RequestForm(None, initial=request.POST.dict(), **form_args)
    return render(request, page, {**context, "body": "livedata/_form.html"})


@requires(perms.VIEW)
def queue(request):
    number = request.GET.get("household", "").strip()
    if number and can(request.user, perms.FILE):
        # filing for a resident without a phone: find their household by its number, in the user's part of the town
        households = list(Household.objects.restrict(request.user, perms.FILE).filter(number=number)[:2])
        if len(households) == 1:
            return redirect("livedata:file", pk=households[0].pk)
        messages.error(request, _("No household with this number in your area."))
    state = request.GET.get("state", State.PENDING)
    if state not in State.values and state != "all":
        state = State.PENDING
    found = selectors.queue(user=request.user, state=None if state == "all" else state)
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    show_ids = can(request.user, registry_perms.REVEAL_ID)
    rows = [(r, services.changes(r, show_ids=show_ids)) for r in page]
    return render(
        request,
        "livedata/queue.html",
        {
            "page": page,
            "rows": rows,
            "state": state,
            "states": State.choices,
            "may_file": can(request.user, perms.FILE),
        },
    )


def _approve_form(request, found, *, stale: bool, post: bool) -> ApproveForm:
    """The approval form; for a move within the town its choice of households is the reviewer's search (a GET of
    `q`), and any household of their area when it comes back posted."""
    targets = None
    if found.kind == Kind.TRANSFER:
        every = selectors.transfer_targets(user=request.user, exclude=found.household_id)
        if post:
            targets = every
        else:
            hits = selectors.transfer_search(
                user=request.user, query=request.GET.get("q", ""), exclude=found.household_id
            )
            targets = every.filter(pk__in=[h.pk for h in hits])
    return ApproveForm(
        request.POST if post else None,
        # the parts' labels only (no values): a reviewer may approve an ID number they are not shown
        parts=[(c["part"], c["label"]) for c in services.changes(found, show_ids=True)]
        if len(services.parts(found)) > 1
        else [],
        targets=targets,
        relationship=found.payload.get("relationship", ""),
        stale=stale,
    )


@requires(perms.VIEW)
@idempotent_form
def request_detail(request, pk):
    found = selectors.request_get(user=request.user, pk=pk)
    may_review = can(request.user, perms.REVIEW) and found.state in (State.PENDING, State.CONFLICT)
    stale = found.state == State.CONFLICT or (found.state == State.PENDING and services.is_stale(found))
    decision = request.POST.get("decision") if request.method == "POST" else None
    reject_form = RejectForm(request.POST if decision == "reject" else None)
    approve_form = (
        _approve_form(request, found, stale=stale, post=decision == "approve") if may_review else None
    )
    if may_review and decision:
        try:
            if decision == "approve" and approve_form is not None and approve_form.is_valid():
                data = approve_form.cleaned_data
                decided = services.change_request_approve(
                    actor=request.user,
                    request=found,
                    approved=data.get("part") or None,
                    target=data.get("target"),
                    relationship=data.get("relationship"),
                    over_current=bool(data.get("over_current")),
                )
                if decided.state == State.CONFLICT:
                    messages.error(
                        request,
                        _(
                            "The record changed since this request was sent: it was not applied. Compare below."
                        ),
                    )
                else:
                    messages.success(request, _("Approved and applied to the registry."))
                return redirect("livedata:request", pk=found.pk)
            if decision == "reject" and reject_form.is_valid():
                services.change_request_reject(
                    actor=request.user, request=found, reason=reject_form.cleaned_data["reason"]
                )
                messages.success(request, _("Rejected; the resident is told why."))
                return redirect("livedata:request", pk=found.pk)
        except ValidationError as exc:
            apply_errors(approve_form if decision == "approve" else reject_form, exc)
    show_ids = can(request.user, registry_perms.REVEAL_ID)
    moved_into = None
    if found.target_household_id:
        moved_into = (
            Household.objects.restrict(request.user, registry_perms.VIEW)
            .select_related("village", "group")
            .filter(pk=found.target_household_id)
            .first()
        )
    return render(
        request,
        "livedata/detail.html",
        {
            "req": found,
            "changes": services.changes(found, show_ids=show_ids),
            "may_review": may_review,
            "stale": stale,
            "on_record": services.on_record_now(found, show_ids=show_ids) if stale else [],
            "still_member": services.still_member(found) if stale else True,
            "approve_form": approve_form,
            "transfer": found.kind == Kind.TRANSFER,
            "query": request.GET.get("q", ""),
            "moved_into": moved_into,
            "reject_form": reject_form,
            "may_see_photo": bool(found.photo) and can(request.user, perms.REVIEW),
        },
    )


@requires(perms.FILE)
@idempotent_form
def file_for(request, pk):
    household = (
        Household.objects.restrict(request.user, perms.FILE).select_related("village", "group").get(pk=pk)
    )
    return filing_page(
        request,
        household=household,
        members=selectors.members(user=request.user, household=household, action=perms.FILE),
        proxy=True,
        page=STAFF_PAGE,
        done=lambda saved: reverse("livedata:request", args=[saved.pk]),
        cancel=reverse("registry:household", args=[household.pk]),
    )


@requires(perms.REVIEW)
def photo(request, pk):
    return private_file_response(selectors.request_get(user=request.user, pk=pk, action=perms.REVIEW).photo)
