"""Registry pages. Reads go through selectors (scoped), writes through services; out of scope is 404."""

import csv
import dataclasses

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core.audit import audit_record
from xiangzhi.core.idempotency import idempotent_form
from xiangzhi.core.pages import apply_errors, form_saved, render_page_or_fragment, requires, vary_on_htmx
from xiangzhi.core.permissions import can

from . import permissions as perms
from . import search as search_module
from . import selectors, services
from .filtersets import HouseholdFilter
from .forms import (
    PHONE_SLOTS,
    ChangeHeadForm,
    FlagTypeForm,
    HouseholdForm,
    MembershipEndForm,
    MergeForm,
    MoveForm,
    ResidentForm,
    SplitForm,
)


def _get_or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except ObjectDoesNotExist:
        raise Http404 from None


@requires(perms.VIEW)
def home(request):
    village_id, group_id = AreaFilter(request.GET, request=request).area()
    villages = villages_for(user=request.user)
    groups = groups_for(user=request.user, village_id=village_id) if village_id else []
    stats = selectors.dashboard(user=request.user, village_id=village_id, group_id=group_id)
    return render(
        request,
        "registry/home.html",
        {
            "stats": stats,
            "villages": villages,
            "groups": groups,
            "village_id": village_id,
            "group_id": group_id,
        },
    )


@requires(perms.VIEW)
def search(request):
    query = request.GET.get("q", "")[:40]
    hits = search_module.search(request.user, query) if query.strip() else []
    context = {"query": query, "hits": hits}
    return render_page_or_fragment(request, "registry/search.html", "registry/_search_results.html", context)


def _household_filter(request) -> HouseholdFilter:
    """The list's filters, as in the API; an area the user may not view is a 404 (raised when first read)."""
    return HouseholdFilter(request.GET, queryset=selectors.household_list(user=request.user), request=request)


@requires(perms.VIEW)
def household_list(request):
    filterset = _household_filter(request)
    village_id, _group_id = filterset.area()
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/household_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "villages": villages_for(user=request.user),
            "village_id": village_id,
        },
    )


def _cell(value) -> str:
    """A spreadsheet cell that cannot turn into a formula (=, +, -, @ at the start)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@requires(perms.VIEW)
def household_export(request):
    """The household roster as CSV for Excel (UTF-8 with BOM); numbers masked; every export is audited."""
    filterset = _household_filter(request)
    village_id, group_id = filterset.area()
    households = filterset.qs
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="households-{timezone.localdate():%Y%m%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [_("household number"), _("village"), _("group"), _("address"), _("head"), _("members"), _("phone")]
    )
    rows = 0
    for household, phone in selectors.household_export_rows(households):
        writer.writerow(
            _cell(v)
            for v in [
                household.number,
                household.village.name,
                household.group.name,
                household.address,
                household.head.name if household.head else "",
                household.member_count,
                phone,
            ]
        )
        rows += 1
    audit_record(
        actor=request.user,
        action="export.households",
        town=request.user.town,
        # the filters applied, not the raw query string: a stray parameter could carry a phone or ID number
        after={"rows": rows, "filters": {"village": village_id, "group": group_id}},
    )
    return response


@requires(perms.VIEW)
def household_card(request, pk):
    card = _get_or_404(selectors.household_card, user=request.user, pk=pk)
    return render(
        request,
        "registry/household_card.html",
        {
            "card": card,
            "may_change": can(request.user, perms.CHANGE),
            "may_see_ids": can(request.user, perms.REVEAL_ID),
            "may_reveal_phone": can(request.user, perms.REVEAL_PHONE),
        },
    )


@requires(perms.CHANGE)
@idempotent_form
def household_create(request):
    form = HouseholdForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Household created. Add its head now."))
            return redirect("registry:resident_add", pk=household.pk)
    return render(request, "core/form.html", {"form": form, "title": _("New household")})


@requires(perms.CHANGE)
def household_edit(request, pk):
    card = _get_or_404(selectors.household_card, user=request.user, pk=pk)
    household = card.household
    initial = {
        f: getattr(household, f) for f in ("group", "address", "house_number", "latitude", "longitude")
    }
    form = HouseholdForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(actor=request.user, household=household, **form.cleaned_data)
        except (ValidationError, ObjectDoesNotExist) as exc:
            if isinstance(exc, ObjectDoesNotExist):
                raise Http404 from None
            apply_errors(form, exc)
        else:
            return redirect("registry:household", pk=pk)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": _("Edit household %(n)s") % {"n": household.number},
            "cancel_url": reverse("registry:household", args=[household.pk]),
        },
    )


@requires(perms.CHANGE)
@require_POST
def household_confirm(request, pk):
    card = _get_or_404(selectors.household_card, user=request.user, pk=pk)
    _get_or_404(services.household_confirm, actor=request.user, household=card.household)
    messages.success(request, _("Marked as checked with the family today."))
    return redirect("registry:household", pk=pk)


@requires(perms.CHANGE)
@idempotent_form
def resident_add(request, pk):
    card = _get_or_404(selectors.household_card, user=request.user, pk=pk)
    initial = {
        "relationship": "head" if card.household.head_id is None else "son",
        "residence_status": "at_home",
    }
    form = ResidentForm(request.POST or None, user=request.user, initial=initial)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            services.resident_add(
                actor=request.user,
                household=card.household,
                relationship=form.cleaned_data["relationship"],
                **form.identity(),
                phones=form.phone_inputs(),
                flags=form.flag_inputs(),
            )
        except services.DuplicateIdNumber as exc:
            form.add_error("id_number" if "id_number" in form.fields else None, exc)
            duplicate = selectors.household_of_resident(user=request.user, pk=exc.existing.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Resident added."))
            return redirect("registry:household", pk=pk)
    return render(
        request,
        "registry/resident_form.html",
        {
            "form": form,
            "title": _("Add a member to household %(n)s") % {"n": card.household.number},
            "back": card.household,
            "duplicate_household": duplicate,
        },
    )


@requires(perms.CHANGE)
def resident_edit(request, pk):
    resident = _get_or_404(selectors.resident_get, user=request.user, pk=pk, action=perms.CHANGE)
    phones = list(resident.phones.all())
    initial = {
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": resident.birth_date,
        "no_id_reason": resident.no_id_reason,
        "residence_status": resident.residence_status,
        "notes": resident.notes,
        "flags": [f.flag for f in resident.flags.all()],
        "disability_level": next((f.level for f in resident.flags.all() if f.level), None),
    }
    for i, phone in enumerate(phones, start=1):
        # The edit form shows masked numbers; an untouched masked value keeps the number on record.
        initial |= {
            f"phone_{i}": phone.number_masked,
            f"holder_{i}": phone.holder,
            f"holder_name_{i}": phone.holder_name,
        }
    form = ResidentForm(
        request.POST or None,
        user=request.user,
        editing=True,
        initial=initial,
        phone_slots=max(PHONE_SLOTS, len(phones) + 1),  # every number on record and one free slot
    )
    duplicate = None
    if request.method == "POST" and form.is_valid():
        phone_inputs = []
        for p in form.phone_inputs():
            kept = phones[p.priority - 1] if p.priority <= len(phones) else None
            if kept is not None and p.number == kept.number_masked:
                p = dataclasses.replace(p, number=kept.number, note=kept.note)
            phone_inputs.append(p)
        try:
            services.resident_update(
                actor=request.user,
                resident=resident,
                **form.identity(),
                phones=phone_inputs,
                flags=form.flag_inputs(),
            )
        except services.DuplicateIdNumber as exc:
            form.add_error("id_number" if "id_number" in form.fields else None, exc)
            duplicate = selectors.household_of_resident(user=request.user, pk=exc.existing.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:household", pk=resident.household_id)
    return render(
        request,
        "registry/resident_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": resident.name},
            "back": resident.household,
            "resident": resident,
            "duplicate_household": duplicate,
        },
    )


def _resident_action(request, pk, form, service, **extra):
    resident = _get_or_404(selectors.resident_get, user=request.user, pk=pk, action=perms.CHANGE)
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, resident=resident, **form.cleaned_data, **extra)
        except ObjectDoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:household", pk=resident.household_id)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": resident.name,
            "cancel_url": reverse("registry:household", args=[resident.household.pk]),
        },
    )


@requires(perms.CHANGE)
def resident_end(request, pk):
    return _resident_action(request, pk, MembershipEndForm(request.POST or None), services.membership_end)


@requires(perms.CHANGE)
def resident_move(request, pk):
    form = MoveForm(request.POST or None, user=request.user)

    def move(*, actor, resident, household_number, relationship):
        return services.resident_move(
            actor=actor, resident=resident, household=household_number, relationship=relationship
        )

    return _resident_action(request, pk, form, move)


def _household_action(request, pk, *, make_form, run, title, done):
    """A household operation page: the form validates, `run(card, data)` calls the service and returns where to
    go next; a service's ValidationError is shown on the form, out of scope is 404."""
    card = _get_or_404(selectors.household_card, user=request.user, pk=pk)
    form = make_form(card)
    if request.method == "POST" and form.is_valid():
        try:
            target = run(card, form)
        except ObjectDoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(*target)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": title, "cancel_url": reverse("registry:household", args=[card.household.pk])},
    )


@requires(perms.CHANGE)
def household_change_head(request, pk):
    def run(card, form):
        chosen = form.cleaned_data["new_head"]
        new_head = next(m.resident for m in card.members if str(m.resident.pk) == chosen)
        relationships = {k: v for k, v in form.relationships().items() if k != new_head.pk}
        services.household_change_head(
            actor=request.user, household=card.household, new_head=new_head, relationships=relationships
        )
        return ("registry:household", pk)

    return _household_action(
        request,
        pk,
        make_form=lambda card: ChangeHeadForm(request.POST or None, card=card),
        run=run,
        title=_("Change the head of household"),
        done=_("Head of household changed."),
    )


@requires(perms.CHANGE)
def household_split(request, pk):
    def run(card, form):
        data = form.cleaned_data
        new = services.household_split(
            actor=request.user,
            household=card.household,
            members=form.member_relationships(),
            number=data["number"],
            address=data["address"],
            house_number=data["house_number"],
        )
        return ("registry:household", new.pk)

    return _household_action(
        request,
        pk,
        make_form=lambda card: SplitForm(
            request.POST or None, card=card, initial={"address": card.household.address}
        ),
        run=run,
        title=_("Split the household (分户)"),
        done=_("New household created. Check the members' relationships to its head."),
    )


@requires(perms.CHANGE)
def household_merge(request, pk):
    def run(card, form):
        source = form.cleaned_data["source_number"]
        members = source.memberships.filter(ended_at__isnull=True).values_list("resident_id", flat=True)
        services.household_merge(
            actor=request.user,
            source=source,
            target=card.household,
            relationships=dict.fromkeys(members, "other"),
        )
        return ("registry:household_change_head", pk)

    return _household_action(
        request,
        pk,
        make_form=lambda card: MergeForm(request.POST or None, user=request.user),
        run=run,
        title=_("Merge another household into this one"),
        done=_("Households merged. Restate the new members' relationships to the head."),
    )


@requires(perms.REVEAL_ID)
@require_POST
def reveal_id(request, pk):
    resident = _get_or_404(selectors.resident_get, user=request.user, pk=pk, action=perms.REVEAL_ID)
    value = services.resident_reveal_id(actor=request.user, resident=resident)
    return render(request, "registry/_revealed.html", {"value": value, "kind": "id"})


@requires(perms.REVEAL_PHONE)
@require_POST
def reveal_phone(request, pk):
    phone = _get_or_404(selectors.phone_get, user=request.user, pk=pk, action=perms.REVEAL_PHONE)
    value = services.phone_reveal(actor=request.user, phone=phone)
    response = render(request, "registry/_revealed.html", {"value": value, "kind": "phone"})
    if request.GET.get("call") and request.htmx:
        # Tap to call: the number is revealed (and logged) only when the cadre actually calls it.
        response["HX-Redirect"] = f"tel:{value}"
    return vary_on_htmx(response)


# ----------------------------------------------------------------------------------------------- town set-up


@requires(perms.CONFIGURE)
def flags(request):
    """The flags a resident can carry (低保, 残疾 …): which are highlighted in an emergency, which have a level."""
    form = FlagTypeForm(request.POST or None)
    if form_saved(
        request, form, lambda **data: services.flag_type_save(actor=request.user, **data), _("Flag added.")
    ):
        return redirect("registry:flags")
    return render(
        request,
        "registry/flags.html",
        {"form": form, "flags": selectors.flag_types_counted(user=request.user)},
    )


@requires(perms.CONFIGURE)
def flag_edit(request, pk):
    flag = selectors.flag_type_get(user=request.user, pk=pk)
    form = FlagTypeForm(
        request.POST or None,
        editing=True,
        initial={f: getattr(flag, f) for f in ("name", "emergency", "has_level", "sort")},
    )
    if form_saved(
        request,
        form,
        lambda **data: services.flag_type_save(actor=request.user, flag=flag, **data),
        _("Saved."),
    ):
        return redirect("registry:flags")
    return render(
        request, "core/form.html", {"form": form, "title": flag.name, "cancel_url": reverse("registry:flags")}
    )
