"""Residents' pages: sign in with a code sent to their phone, then their own household."""

import datetime

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiangzhi.core import context
from xiangzhi.core.files import private_file_response
from xiangzhi.core.idempotency import idempotent_form
from xiangzhi.core.masking import mask_phone
from xiangzhi.core.pages import apply_errors, no_pdf_font, pdf_response, requires
from xiangzhi.core.pdf import NoPdfFont, pdf_font
from xiangzhi.core.permissions import can
from xiangzhi.livedata import permissions as livedata_perms
from xiangzhi.livedata import selectors as livedata_selectors
from xiangzhi.livedata import services as livedata_services
from xiangzhi.livedata import views as livedata_views
from xiangzhi.livedata.choices import State
from xiangzhi.notices import selectors as notice_selectors
from xiangzhi.notices import services as notice_services
from xiangzhi.registry import selectors as registry_selectors
from xiangzhi.registry import services as registry_services
from xiangzhi.registry.choices import PhoneHolder
from xiangzhi.registry.models import Resident

from . import permissions as perms
from . import printing, selectors, services
from .forms import CodeForm, PhoneForm, PinForm

PENDING = "portal.pending"  # the phone a code was sent to: its blind index and its mask, never the number
CHOICE = "portal.choice"  # the residents a verified code reaches, when a family shares one number
CHOICE_TTL = datetime.timedelta(minutes=5)
REVEAL = "portal.reveal"  # a code to see one's own number was sent: the mask of the phone it went to


def sign_in(request):
    if can(request.user, perms.VIEW_OWN):
        return redirect("portal:home")
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            services.code_request(phone=phone, ip_address=context.current().ip_address)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            clean = services.phone_clean(phone)
            request.session[PENDING] = {"key": services.phone_key(clean), "masked": mask_phone(clean)}
            return redirect("portal:code")
    return render(request, "portal/sign_in.html", {"form": form})


def code(request):
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            residents = services.code_verify(
                key=pending["key"], code=form.cleaned_data["code"], ip_address=context.current().ip_address
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            del request.session[PENDING]
            if len(residents) == 1:
                return _signed_in(request, residents[0])
            if residents:
                request.session[CHOICE] = {"ids": [r.pk for r in residents], "at": timezone.now().isoformat()}
                return redirect("portal:choose")
            form.add_error(None, _("This number no longer reaches anyone on record. Ask your village cadre."))
    return render(request, "portal/code.html", {"form": form, "masked": pending["masked"]})


def choose(request):
    choice = request.session.get(CHOICE)
    if not choice or timezone.now() - datetime.datetime.fromisoformat(choice["at"]) > CHOICE_TTL:
        request.session.pop(CHOICE, None)
        return redirect("portal:sign_in")
    residents = list(
        Resident.objects.unrestricted("the residents a verified code reaches, to choose who signs in")
        .filter(pk__in=choice["ids"])
        .order_by("pk")
    )
    if request.method == "POST":
        chosen = next((r for r in residents if str(r.pk) == request.POST.get("resident")), None)
        if chosen is not None:
            del request.session[CHOICE]
            return _signed_in(request, chosen)
    return render(request, "portal/choose.html", {"residents": residents})


def _signed_in(request, resident):
    user = services.resident_signed_in(resident=resident)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("portal:home")


@requires(perms.VIEW_OWN, login_url="portal:sign_in")
def home(request):
    return _home(request)


def _home(request, revealed: dict[int, str] | None = None):
    """The household page; with `revealed`, the resident's own numbers in full for this one view."""
    own = selectors.own_household(user=request.user)
    account = getattr(request.user, "resident_account", None)
    own_phone_on_record = False
    for membership in own.members:
        for phone in membership.resident.phones.all():
            phone.shown = (revealed or {}).get(phone.pk) or phone.number_masked
            phone.is_own = account is not None and (
                phone.resident_id == account.resident_id and phone.holder == PhoneHolder.SELF
            )
            own_phone_on_record |= phone.is_own
    unread = notice_selectors.household_unread_count(user=request.user, household=own.household)
    requests = livedata_selectors.household_requests(user=request.user, household=own.household)
    waiting = (
        requests.filter(state=State.AWAITING_HEAD).count() if _is_head(request.user, own.household) else 0
    )
    return render(
        request,
        "portal/home.html",
        {
            "own": own,
            "unread_notices": unread,
            "waiting_for_me": waiting,
            "inbox": selectors.own_messages(user=request.user),
            "revealed": bool(revealed),
            # "显示完整号码" beside the resident's own line, while their number is masked
            "reveal_on": account.resident_id if account and own_phone_on_record and not revealed else None,
        },
    )


@requires(perms.VIEW_OWN, login_url="portal:sign_in")
@require_POST
def own_phone(request):
    """ "显示完整号码": text a fresh code to the resident's own phone; typed in, it shows their number."""
    try:
        masked = services.own_phone_code_send(user=request.user, ip_address=context.current().ip_address)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:home")
    request.session[REVEAL] = {"masked": masked}
    return redirect("portal:own_phone_code")


@requires(perms.VIEW_OWN, login_url="portal:sign_in")
def own_phone_code(request):
    pending = request.session.get(REVEAL)
    if not pending:
        return redirect("portal:home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.own_phone_reveal(
                user=request.user, code=form.cleaned_data["code"], ip_address=context.current().ip_address
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            del request.session[REVEAL]
            return _home(request, revealed)  # shown in this answer only: a reload masks it again
    return render(request, "portal/own_phone_code.html", {"form": form, "masked": pending["masked"]})


def _is_head(user, household) -> bool:
    account = getattr(user, "resident_account", None)
    return account is not None and household.head_id == account.resident_id


@requires(perms.VIEW_OWN, login_url="portal:sign_in")
def notices(request):
    household = selectors.own_household(user=request.user).household
    found = notice_selectors.household_notices(user=request.user, household=household)[:50]
    return render(request, "portal/notices.html", {"notices": found})


@requires(perms.VIEW_OWN, login_url="portal:sign_in")
def notice(request, pk):
    household = selectors.own_household(user=request.user).household
    found = notice_selectors.household_notices(user=request.user, household=household).get(pk=pk)
    notice_services.notice_read(user=request.user, notice=found, household=household)
    return render(request, "portal/notice.html", {"notice": found})


@requires(perms.ISSUE_DOOR_PLATE)
def door_plate(request, pk):
    """A cadre prints a household's door-plate card: the page says what it does, the POST answers the PDF (a new
    token and PIN, made for this printout; the household's earlier card stops working)."""
    household = registry_selectors.household_get(user=request.user, pk=pk, action=perms.ISSUE_DOOR_PLATE)
    if request.method == "POST":
        try:
            pdf_font()  # no card is revoked for a printout that could not be made
        except NoPdfFont as exc:
            return no_pdf_font(request, exc)
        issued = services.door_plate_issue(actor=request.user, household=household)
        url = request.build_absolute_uri(reverse("portal:plate_sign_in", args=[issued.token]))
        data = printing.door_plate_pdf(household=household, url=url, pin=issued.pin, printed_by=request.user)
        return pdf_response(data, f"door-plate-{pk}.pdf", _("door-plate-%(n)s.pdf") % {"n": household.number})
    return render(request, "portal/door_plate.html", {"household": household})


def plate_sign_in(request, token):
    """The page a door-plate card's QR code opens: the family's PIN signs them in."""
    if not services.door_plate_usable(token):
        return render(request, "portal/plate_unusable.html", status=404)
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.door_plate_verify(
                token=token, pin=form.cleaned_data["pin"], ip_address=context.current().ip_address
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            user = services.resident_signed_in(resident=resident, via="door_plate")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("portal:home")
    return render(request, "portal/plate_sign_in.html", {"form": form})


@requires(livedata_perms.FILE_OWN, login_url="portal:sign_in")
def requests(request):
    household = selectors.own_household(user=request.user).household
    found = list(livedata_selectors.household_requests(user=request.user, household=household)[:50])
    rows = [(r, livedata_services.changes(r, show_ids=True)) for r in found]
    return render(
        request,
        "portal/requests.html",
        {"rows": rows, "is_head": _is_head(request.user, household), "household": household},
    )


@requires(livedata_perms.FILE_OWN, login_url="portal:sign_in")
@idempotent_form
def request_new(request):
    household = selectors.own_household(user=request.user).household
    return livedata_views.filing_page(
        request,
        household=household,
        members=livedata_selectors.members(
            user=request.user, household=household, action=livedata_perms.FILE_OWN
        ),
        proxy=False,
        page="portal/request_page.html",
        done=lambda saved: reverse("portal:request", args=[saved.pk]),
        cancel=reverse("portal:requests"),
    )


@requires(livedata_perms.FILE_OWN, login_url="portal:sign_in")
@idempotent_form
def request(request, pk):
    household = selectors.own_household(user=request.user).household
    found = livedata_selectors.household_requests(user=request.user, household=household).get(pk=pk)
    may_approve = found.state == State.AWAITING_HEAD and _is_head(request.user, household)
    if request.method == "POST" and may_approve:
        try:
            decision = request.POST.get("decision")
            if decision in ("approve", "decline"):
                agree = decision == "approve"
                livedata_services.change_request_head_decide(actor=request.user, request=found, agree=agree)
                messages.success(
                    request,
                    _("Thank you. The request goes to the village now.")
                    if agree
                    else _("The request is stopped."),
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("portal:request", pk=found.pk)
    return render(
        request,
        "portal/request.html",
        {
            "req": found,
            "changes": livedata_services.changes(found, show_ids=True),
            "may_approve": may_approve,
        },
    )


@requires(livedata_perms.FILE_OWN, login_url="portal:sign_in")
def request_photo(request, pk):
    household = selectors.own_household(user=request.user).household
    found = livedata_selectors.household_requests(user=request.user, household=household).get(pk=pk)
    return private_file_response(found.photo)


@requires(perms.VIEW_OWN, login_url="portal:sign_in")
@require_POST
def confirm(request):
    """ "信息无变化": a resident confirms in one tap that their household's record is still right."""
    household = selectors.own_household(user=request.user).household
    registry_services.household_confirm(actor=request.user, household=household, via="resident")
    messages.success(request, _("Thank you. Your household's record is confirmed."))
    return redirect("portal:home")
