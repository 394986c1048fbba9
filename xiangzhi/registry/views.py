"""Registry pages. Reads go through selectors (scoped), writes through services; out of scope is 404."""

import csv
import dataclasses
import decimal
import functools
import re
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core import extensions
from xiangzhi.core.audit import audit_record
from xiangzhi.core.idempotency import FORM_FIELD, idempotent_form
from xiangzhi.core.masking import has_personal_number
from xiangzhi.core.pages import (
    form_page,
    no_pdf_font,
    pdf_response,
    render_page_or_fragment,
    requires,
    vary_on_htmx,
)
from xiangzhi.core.pdf import NoPdfFont, pdf_font
from xiangzhi.core.permissions import can
from xiangzhi.core.spreadsheet import neutralise

from . import permissions as perms
from . import printing, selectors, services
from . import search as search_module
from .choices import LIVING_RESIDENCE_CHOICES, CallOutcome, HouseholdStatus
from .filtersets import LIVING, HouseholdFilter, ResidentFilter
from .forms import (
    PHONE_SLOTS,
    CertificateForm,
    ChangeHeadForm,
    FlagTypeForm,
    HouseholdForm,
    LedgerExportForm,
    MembershipEndForm,
    MergeForm,
    MoveForm,
    ResidentForm,
    SplitForm,
)
from .ledger import export as ledger


def _list_url(name: str, area: dict, **filters) -> str:
    """The list behind a dashboard figure: its filters, and the dashboard's village or group, in the URL."""
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in (area | filters).items() if v is not None})
    return f"{reverse(name)}?{query.urlencode()}"


@requires(perms.VIEW)
def home(request):
    village_id, group_id = AreaFilter(request.GET, request=request).area()
    villages = villages_for(user=request.user)
    groups = groups_for(user=request.user, village_id=village_id) if village_id else []
    stats = selectors.dashboard(user=request.user, village_id=village_id, group_id=group_id)
    area = {"village": village_id, "group": group_id}
    residents = functools.partial(_list_url, "registry:residents", area)
    links = {
        "households": _list_url("registry:households", area, status=HouseholdStatus.ACTIVE),
        "changes": _list_url("registry:changes", area),
        "ledger": _list_url("registry:ledger_export", area),
        "residents": residents(residence_status=LIVING),
        "by_status": [residents(residence_status=value) for value, _label in LIVING_RESIDENCE_CHOICES],
        # a flag's tile opens its warning list (who, where, how to reach them); the list links to the roster
        "flags": [_list_url("registry:warnings", area, flag=flag.code) for flag, _n in stats["flags"]],
    }
    for row in stats["pyramid"]:
        band = {"residence_status": LIVING, "age_min": row["low"], "age_max": row["high"]}
        row["M_url"], row["F_url"] = residents(**band, sex="M"), residents(**band, sex="F")
    return render(
        request,
        "registry/home.html",
        {
            "stats": stats,
            "by_status": zip(stats["by_status"], links["by_status"], strict=True),
            "flags": zip(stats["flags"], links["flags"], strict=True),
            "links": links,
            "tiles": extensions.tiles(request.user, village_id=village_id, group_id=group_id),
            "villages": villages,
            "groups": groups,
            "village_id": village_id,
            "group_id": group_id,
            "recent": selectors.recent_households(user=request.user),
        },
    )


CHART_HEIGHT = 60  # the height of a population change's bars, in the chart's own units


@requires(perms.VIEW)
def population_changes(request):
    """人口变动: births, deaths, arrivals from and departures to outside the town, new and split-off households per
    month in the user's part of the town (or one of its villages or groups), each figure a link to its list, with
    a small bar chart per figure drawn on the server (no script)."""
    village_id, group_id = AreaFilter(request.GET, request=request).area()
    rows = selectors.population_changes(user=request.user, village_id=village_id, group_id=group_id)
    area = {"village": village_id, "group": group_id}
    residents = functools.partial(_list_url, "registry:residents", area)
    households = functools.partial(_list_url, "registry:households", area)
    # (key, the chart's caption, the table's short heading)
    columns = [
        ("births", _("Births"), _("born")),
        ("deaths", _("Deaths"), _("died")),
        ("moved_in", _("Moved in from outside the town"), pgettext("population change", "in")),
        ("moved_out", _("Moved out of the town"), pgettext("population change", "out")),
        ("new_households", _("New households"), pgettext("population change", "new")),
        ("split_households", _("Split-off households"), pgettext("population change", "split")),
    ]
    for row in rows:
        month = f"{row['month']:%Y-%m}"
        row["cells"] = [
            (
                label,
                row[key],
                households(registered=month, split="true" if key == "split_households" else "false")
                if key.endswith("households")
                else residents(change=key, month=month),
            )
            for key, label, _short in columns
        ]
    charts = []
    oldest_first = list(reversed(rows))
    for i, (key, label, _short) in enumerate(columns):
        peak = max([row[key] for row in rows] + [1])
        bars = [
            {
                "x": j * 10 + 1,
                "height": round(CHART_HEIGHT * row[key] / peak, 1),
                "y": CHART_HEIGHT - round(CHART_HEIGHT * row[key] / peak, 1),
                "n": row[key],
                "month": row["month"],
                "url": row["cells"][i][2],
            }
            for j, row in enumerate(oldest_first)
        ]
        charts.append({"key": key, "label": label, "total": sum(row[key] for row in rows), "bars": bars})
    return render(
        request,
        "registry/changes.html",
        {
            "rows": rows,
            "columns": columns,
            "charts": charts,
            "chart_width": len(rows) * 10,
            "chart_height": CHART_HEIGHT,
            "villages": villages_for(user=request.user),
            "groups": groups_for(user=request.user, village_id=village_id) if village_id else [],
            "village_id": village_id,
            "group_id": group_id,
        },
    )


@requires(perms.VIEW)
def search(request):
    """Search as you type; `?all=1` lists every hit (up to `search.ALL_LIMIT`) where the first page shows the best.
    An empty query shows the households the user opened lately."""
    query = request.GET.get("q", "")[:40]
    show_all = request.GET.get("all") == "1"
    refused, whole_number, found = "", False, None
    # as-you-type requests come from htmx; a whole phone or ID number is checked only when submitted (Enter)
    live = bool(request.htmx) and not request.htmx.history_restore_request
    if query.strip():
        limit = search_module.ALL_LIMIT if show_all else 20
        try:
            found = search_module.find(request.user, query, limit, live=live)
        except search_module.NumberSearchLimit as exc:
            refused = exc.message
        except search_module.WholeNumberQuery:
            whole_number = True
    context = {
        "query": query,
        "hits": found.hits if found else [],
        "found": found,
        "show_all": show_all,
        "all_url": "",
        "refused": refused,
        "whole_number": whole_number,
        "recent": None if query.strip() else selectors.recent_households(user=request.user),
    }
    if found and found.more and not show_all:
        more = QueryDict(mutable=True)
        more.update({"q": query, "all": "1"})
        context["all_url"] = f"{reverse('registry:search')}?{more.urlencode()}"
    return render_page_or_fragment(request, "registry/search.html", "registry/_search_results.html", context)


def _filters_in_words(form) -> list[str]:
    """What a list is narrowed to, in words ("标签：独居老人"), shown on its folded filters: a list opened from a
    dashboard tile or a warning list says whom it holds, and so what its export will hold."""
    form.is_valid()  # a wrong value (an unknown sort) is left out, the valid ones still named
    words = []
    for name, value in form.cleaned_data.items():
        if name == "sort" or value in (None, "", [], ()):
            continue
        field = form.fields[name]
        shown = dict(getattr(field, "choices", ())).get(value, value) if isinstance(value, str) else value
        words.append(_("%(filter)s: %(value)s") % {"filter": field.label, "value": shown})
    return words


def _household_filter(request) -> HouseholdFilter:
    """The list's filters, as in the API; an area the user may not view is a 404 (raised when first read)."""
    return HouseholdFilter(request.GET, queryset=selectors.household_list(user=request.user), request=request)


@requires(perms.VIEW)
def household_list(request):
    """The household roster: the resident list's filters where they apply to a household (a flag or members
    working away: of a member living here), held in the URL."""
    filterset = _household_filter(request)
    village_id, group_id = filterset.area()
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/household_list.html",
        {
            "page": page,
            "form": filterset.form,
            "query": query.urlencode(),
            "groups": groups_for(user=request.user, village_id=village_id) if village_id else [],
            "filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
            "filters_in_words": _filters_in_words(filterset.form),
            # the ledger holds the list's area (its other filters do not apply to a ledger)
            "ledger_url": _list_url("registry:ledger_export", {"village": village_id, "group": group_id}),
        },
    )


def _cell(value) -> str:
    """A CSV cell that cannot turn into a formula (`core.spreadsheet.neutralise`)."""
    return neutralise(str(value))


def _csv_download(ascii_name: str, name: str):
    """A CSV download Excel opens (UTF-8 with BOM), named in the page's language (filename* in UTF-8, RFC 6266)
    with a plain ASCII name for old clients; write rows through `_cell`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response.write("\ufeff")
    return response, csv.writer(response)


@requires(perms.VIEW)
def household_export(request):
    """The household roster as CSV for Excel (UTF-8 with BOM); numbers masked; every export is audited."""
    filterset = _household_filter(request)
    filterset.area()  # an area out of scope is a 404 before anything is written
    households = filterset.qs
    day = f"{timezone.localdate():%Y%m%d}"
    response, writer = _csv_download(f"households-{day}.csv", _("households-%(date)s.csv") % {"date": day})
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
        action="registry.households.export",
        town=request.user.town,
        # the filters applied, not the raw query string: a stray parameter could carry a phone or ID number
        after={"rows": rows, "filters": _audited_filters(filterset)},
    )
    return response


def _resident_filter(request) -> ResidentFilter:
    """The resident list's filters, as in the API; an area or household out of scope is a 404."""
    return ResidentFilter(request.GET, queryset=selectors.resident_list(user=request.user), request=request)


RESIDENTS_PER_PAGE = 50


@requires(perms.VIEW)
def resident_list(request):
    """The resident roster (花名册): filters that combine, held in the URL so a list can be bookmarked and shared."""
    filterset = _resident_filter(request)
    village_id, _group_id = filterset.area()
    page = Paginator(filterset.qs, RESIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/resident_list.html",
        {
            "page": page,
            "rows": selectors.resident_rows(page.object_list),
            "form": filterset.form,
            "query": query.urlencode(),
            "groups": groups_for(user=request.user, village_id=village_id) if village_id else [],
            "may_see_ids": can(request.user, perms.REVEAL_ID),
            "filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
            "filters_in_words": _filters_in_words(filterset.form),
        },
    )


@requires(perms.VIEW)
def resident_export(request):
    """The resident roster as CSV for Excel (UTF-8 with BOM), the list's filters applied: the age, never the birth
    date; ID numbers masked and only for who may see them; the first phone masked; every export is audited."""
    filterset = _resident_filter(request)
    filterset.area()  # an area out of scope is a 404 before anything is written
    may_see_ids = can(request.user, perms.REVEAL_ID)
    day = f"{timezone.localdate():%Y%m%d}"
    response, writer = _csv_download(f"residents-{day}.csv", _("residents-%(date)s.csv") % {"date": day})
    header = [_("name"), _("sex"), _("age")]
    header += [_("ID number")] if may_see_ids else []
    header += [
        _("village"),
        _("group"),
        _("household number"),
        _("head"),
        _("residence status"),
        _("flags"),
        _("phone"),
    ]
    writer.writerow(header)
    rows = selectors.resident_rows(filterset.qs)
    for row in rows:
        r = row.resident
        values = [r.name, r.get_sex_display(), "" if r.age is None else r.age]
        values += [r.id_number_masked] if may_see_ids else []
        values += [
            r.household.village.name,
            r.household.group.name,
            r.household.number,
            _("yes") if row.is_head else "",
            r.get_residence_status_display(),
            " ".join(str(f) for f in row.flags),
            row.phone,
        ]
        writer.writerow(_cell(v) for v in values)
    audit_record(
        actor=request.user,
        action="registry.residents.export",
        town=request.user.town,
        after={"rows": len(rows), "filters": _audited_filters(filterset)},
    )
    return response


@requires(perms.VIEW)
def ledger_export(request):
    """The ledger (台账) of the user's area, or of the village or group in the URL (`?village=&group=`; out of
    scope is a 404), as a workbook with a sheet per group or one CSV, in the layout the import reads back. The
    form (POST) chooses the format and, for who may, full numbers with a reason; the file streams from disk or the
    database, however large the area."""
    area = AreaFilter(request.GET, request=request)
    village_id, _group_id = area.area()
    data = area.form.cleaned_data
    scope = ledger.LedgerScope(village=data.get("village"), group=data.get("group"))
    form = LedgerExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        export = ledger.ledger_export(
            actor=request.user,
            scope=scope,
            format=form.cleaned_data["format"],
            unmasked=form.cleaned_data.get("unmasked", False),
            reason=form.cleaned_data.get("reason", ""),
        )
        ascii_name, name = export.filename(timezone.localdate())
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        if export.format == "csv":
            lines = (line.encode("utf-8") for line in ledger.csv_lines(export.ledger_rows()))
            response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        else:
            response = FileResponse(export.xlsx_file(), content_type=ledger.XLSX_TYPE)
        response["Content-Disposition"] = disposition
        return response
    return render(
        request,
        "registry/ledger_export.html",
        {
            "form": form,
            "area_form": area.form,
            "groups": groups_for(user=request.user, village_id=village_id) if village_id else [],
            "scope": scope,
            "people": ledger.ledger_memberships(user=request.user, scope=scope).count(),
            "may_see_ids": can(request.user, perms.REVEAL_ID),
        },
    )


def _audited_filters(filterset) -> dict:
    """The filters an export applied, as the audit row keeps them: ids and choices, and the search text only when
    it holds no phone or ID number (a stray one would be kept in clear)."""
    kept = {}
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, "", []):
            continue
        if name == "q" and has_personal_number(value):
            value = "…"
        kept[name] = getattr(value, "pk", None) or getattr(value, "code", None) or value
        if isinstance(kept[name], decimal.Decimal):
            kept[name] = int(kept[name])
    return kept


@requires(perms.VIEW)
def household_card(request, pk):
    card = selectors.household_card(user=request.user, pk=pk)
    selectors.attach_last_calls(user=request.user, phones=[phone for phone, _r in card.call_list])
    may_change = selectors.household_may_change(user=request.user, household=card.household)
    services.household_opened(actor=request.user, household=card.household)
    return render(
        request,
        "registry/household_card.html",
        {
            "card": card,
            "may_change": may_change,
            # who joined and left, for who keeps the registry (cadres, grid workers); others see the members only
            "history": selectors.household_history(user=request.user, card=card) if may_change else None,
            "may_see_ids": can(request.user, perms.REVEAL_ID),
            "may_reveal_phone": can(request.user, perms.REVEAL_PHONE),
            "certificates": selectors.household_certificates(user=request.user, household=card.household),
            "more_actions": extensions.household_actions(request.user, card.household.pk),
        },
    )


@requires(perms.PRINT_CARD)
def household_card_pdf(request, pk):
    """The household card as PDF (`?size=A4` or `A6`): numbers masked, ID numbers only for who may see them;
    every print is logged."""
    card = selectors.household_card(user=request.user, pk=pk)
    size = printing.paper_size(request.GET.get("size"))
    try:
        data = printing.household_card_pdf(
            card=card, size=size, printed_by=request.user, may_see_ids=can(request.user, perms.REVEAL_ID)
        )
    except NoPdfFont as exc:
        return no_pdf_font(request, exc)
    services.household_card_print(actor=request.user, household=card.household, size=size)
    number = card.household.number
    return pdf_response(data, f"household-{pk}.pdf", _("household-%(n)s.pdf") % {"n": number})


@requires(perms.CERTIFY)
@idempotent_form
def certificate_issue(request, pk):
    """The purpose of a new certificate of residence; the issue then opens it as PDF. A second submit of the same
    form opens the same certificate (`@idempotent_form`), so a retry never takes a second number."""
    resident = selectors.resident_get(user=request.user, pk=pk, action=perms.CERTIFY)
    if request.method == "POST":
        try:
            pdf_font()  # no number is taken for a certificate that could not be printed
        except NoPdfFont as exc:
            return no_pdf_font(request, exc)
    form = CertificateForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda purpose, size: services.certificate_issue(
            actor=request.user, resident=resident, purpose=purpose
        ),
        success=lambda cert: (
            f"{reverse('registry:certificate_pdf', args=[cert.pk])}?size={form.cleaned_data['size']}"
        ),
        context={
            "title": _("Certificate of residence for %(name)s") % {"name": resident.name},
            "submit": _("Issue and print"),
            "cancel_url": _household_url(resident.household_id),
        },
    )


@requires(perms.CERTIFY)
def certificate_pdf(request, pk):
    """An issued certificate as PDF, the same number however often it is printed; each print is logged."""
    certificate = selectors.certificate_get(user=request.user, pk=pk)
    size = printing.paper_size(request.GET.get("size"))
    try:
        font = pdf_font()
    except NoPdfFont as exc:
        return no_pdf_font(request, exc)
    id_number = services.certificate_print(actor=request.user, certificate=certificate, size=size)
    data = printing.certificate_pdf(certificate=certificate, id_number=id_number, size=size, font=font)
    serial = certificate.serial
    return pdf_response(
        data, f"certificate-{serial}.pdf", _("certificate-of-residence-%(n)s.pdf") % {"n": serial}
    )


def _household_url(pk) -> str:
    return reverse("registry:household", args=[pk])


@requires(perms.CHANGE)
@idempotent_form
def household_create(request):
    return form_page(
        request,
        HouseholdForm(request.POST or None, user=request.user),
        lambda **data: services.household_create(actor=request.user, **data),
        success=lambda household: reverse("registry:resident_add", args=[household.pk]),
        done=_("Household created. Add its head now."),
        context={"title": _("New household")},
    )


@requires(perms.CHANGE)
def household_edit(request, pk):
    household = selectors.household_get(user=request.user, pk=pk, action=perms.CHANGE)
    initial = {
        f: getattr(household, f) for f in ("group", "address", "house_number", "latitude", "longitude")
    }
    return form_page(
        request,
        HouseholdForm(request.POST or None, user=request.user, editing=True, initial=initial),
        lambda **data: services.household_update(actor=request.user, household=household, **data),
        success=_household_url(pk),
        context={
            "title": _("Edit household %(n)s") % {"n": household.number},
            "cancel_url": _household_url(pk),
        },
    )


@requires(perms.CHANGE)
@require_POST
def household_confirm(request, pk):
    household = selectors.household_get(user=request.user, pk=pk, action=perms.CHANGE)
    services.household_confirm(actor=request.user, household=household)
    messages.success(request, _("Marked as checked with the family today."))
    return redirect("registry:household", pk=pk)


def _resident_form_page(request, form, save, *, success, done, context):
    """`form_page` for a resident's form: an ID number registered to someone else is refused on its field, with a
    link to the holder's household for a user who may view it (`selectors.duplicate_id_household` decides)."""
    context = {"duplicate_household": None, **context}

    def run(**data):
        try:
            return save(**data)
        except services.DuplicateIdNumber as exc:
            context["duplicate_household"] = selectors.duplicate_id_household(user=request.user, error=exc)
            raise ValidationError({"id_number": exc.error_list}) from None

    return form_page(
        request,
        form,
        run,
        success=success,
        done=done,
        template="registry/resident_form.html",
        context=context,
    )


@requires(perms.CHANGE)
@idempotent_form
def resident_add(request, pk):
    household = selectors.household_get(user=request.user, pk=pk, action=perms.CHANGE)
    # no relationship preselected (a wrong default is a wrong record); most members live at home
    form = ResidentForm(request.POST or None, user=request.user, initial={"residence_status": "at_home"})
    return _resident_form_page(
        request,
        form,
        lambda relationship, start_reason, **_data: services.resident_add(
            actor=request.user,
            household=household,
            relationship=relationship,
            start_reason=start_reason,
            **form.identity(),
            phones=form.phone_inputs(),
            flags=form.flag_inputs(),
        ),
        success=_household_url(pk),
        done=_("Resident added."),
        context={
            "title": _("Add a member to household %(n)s") % {"n": household.number},
            "back": household,
        },
    )


@requires(perms.CHANGE)
def resident_edit(request, pk):
    resident = selectors.resident_get(user=request.user, pk=pk, action=perms.CHANGE)
    phones = list(resident.phones.all())
    initial = {
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": resident.birth_date_shown,  # an ID number gives it; beside the masked number it completes it
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

    def save(**_data):
        phone_inputs = []
        for p in form.phone_inputs():
            kept = phones[p.priority - 1] if p.priority <= len(phones) else None
            if kept is not None and p.number == kept.number_masked:
                p = dataclasses.replace(p, number=kept.number, note=kept.note)
            phone_inputs.append(p)
        return services.resident_update(
            actor=request.user,
            resident=resident,
            **form.identity(),
            phones=phone_inputs,
            flags=form.flag_inputs(),
        )

    return _resident_form_page(
        request,
        form,
        save,
        success=_household_url(resident.household_id),
        done=_("Saved."),
        context={
            "title": _("Edit %(name)s") % {"name": resident.name},
            "back": resident.household,
            "resident": resident,
        },
    )


def _resident_page(request, pk, form, save, *, title: str = "%(name)s", submit: str = ""):
    """A resident operation (end the membership, move): `save(resident, **data)` calls the service; `title` names
    the resident (`%(name)s`)."""
    resident = selectors.resident_get(user=request.user, pk=pk, action=perms.CHANGE)
    return form_page(
        request,
        form,
        lambda **data: save(resident, **data),
        success=_household_url(resident.household_id),
        done=_("Saved."),
        context={
            "title": title % {"name": resident.name},
            "submit": submit,
            "cancel_url": _household_url(resident.household_id),
        },
    )


@requires(perms.CHANGE)
def resident_end(request, pk):
    """死亡 / 迁出 in two steps: the form (no reason preselected, the date asked for), then "确认：张三 死亡，日期 …"
    with the values carried in hidden fields; only the confirmed POST ends the membership."""
    form = MembershipEndForm(request.POST or None)
    if "back" in request.POST:  # back from the confirmation: the form again, as filled in, nothing saved
        form = MembershipEndForm(initial={k: request.POST.get(k, "") for k in ("reason", "date", "note")})
    elif request.method == "POST" and form.is_valid() and not form.cleaned_data["confirmed"]:
        resident = selectors.resident_get(user=request.user, pk=pk, action=perms.CHANGE)
        return render(
            request,
            "registry/resident_end_confirm.html",
            {
                "title": _("%(name)s: death or moving out") % {"name": resident.name},
                "resident": resident,
                "form": form,
                "question": form.confirmation(resident),
            },
        )
    return _resident_page(
        request,
        pk,
        form,
        lambda resident, confirmed, **data: services.membership_end(
            actor=request.user, resident=resident, **data
        ),
        title=_("%(name)s: death or moving out"),
        submit=_("Next"),  # nothing is saved before the confirmation
    )


@requires(perms.CHANGE)
def resident_move(request, pk):
    return _resident_page(
        request,
        pk,
        MoveForm(request.POST or None, user=request.user),
        lambda resident, household_number, relationship, village=None: services.resident_move(
            actor=request.user, resident=resident, household=household_number, relationship=relationship
        ),
    )


def _household_page(request, card, form, save, *, success, title, done, intro=""):
    """A household operation page on the household card (change head, split, merge)."""
    return form_page(
        request,
        form,
        save,
        success=success,
        done=done,
        context={"title": title, "intro": intro, "cancel_url": _household_url(card.household.pk)},
    )


@requires(perms.CHANGE)
def household_change_head(request, pk):
    card = selectors.household_card(user=request.user, pk=pk)
    form = ChangeHeadForm(request.POST or None, card=card)

    def save(new_head, **_data):
        head = next(m.resident for m in card.members if str(m.resident.pk) == new_head)
        relationships = {k: v for k, v in form.relationships().items() if k != head.pk}
        return services.household_change_head(
            actor=request.user, household=card.household, new_head=head, relationships=relationships
        )

    return _household_page(
        request,
        card,
        form,
        save,
        success=_household_url(pk),
        title=_("Change the head of household"),
        done=_("Head of household changed."),
    )


@requires(perms.CHANGE)
def household_split(request, pk):
    card = selectors.household_card(user=request.user, pk=pk)
    form = SplitForm(request.POST or None, card=card, initial={"address": card.household.address})
    return _household_page(
        request,
        card,
        form,
        lambda address, house_number, **_data: services.household_split(
            actor=request.user,
            household=card.household,
            members=form.member_relationships(),
            number=form.number_to_use(),
            address=address,
            house_number=house_number,
        ),
        success=lambda new: _household_url(new.pk),
        title=_("Split household %(n)s (分户)") % {"n": card.household.number},
        intro=_("From household %(n)s of %(village)s %(group)s, head: %(head)s.")
        % {
            "n": card.household.number,
            "village": card.household.village.name,
            "group": card.household.group.name,
            "head": card.household.head.name if card.household.head else "—",
        },
        done=_("New household created. Check the members' relationships to its head."),
    )


@requires(perms.CHANGE)
def household_merge(request, pk):
    target = selectors.household_get(user=request.user, pk=pk, action=perms.CHANGE)

    def save(source_number, village=None):
        members = source_number.memberships.filter(ended_at__isnull=True).values_list(
            "resident_id", flat=True
        )
        return services.household_merge(
            actor=request.user,
            source=source_number,
            target=target,
            relationships=dict.fromkeys(members, "other"),
        )

    return form_page(
        request,
        MergeForm(request.POST or None, user=request.user),
        save,
        success=reverse("registry:household_change_head", args=[pk]),
        done=_("Households merged. Restate the new members' relationships to the head."),
        context={"title": _("Merge another household into this one"), "cancel_url": _household_url(pk)},
    )


@requires(perms.REVEAL_ID)
@require_POST
def reveal_id(request, pk):
    resident = selectors.resident_get(user=request.user, pk=pk, action=perms.REVEAL_ID)
    value = services.resident_reveal_id(actor=request.user, resident=resident)
    context = {"value": value, "kind": "id", "masked": resident.id_number_masked, "slot": f"id-{pk}"}
    return render(request, "registry/_revealed.html", context)


PURPOSE = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")


def _purpose(request) -> str:
    """What a call is for (`CallRecord.purpose`), as a page passed it on: a short key, never free text."""
    purpose = request.POST.get("purpose") or request.GET.get("purpose") or ""
    return purpose if PURPOSE.fullmatch(purpose) else ""


@requires(perms.REVEAL_PHONE)
@require_POST
def reveal_phone(request, pk):
    """Show one full number (logged); with ?call=1 the call button: the number is revealed on screen and handed to
    the dialer (logged as a call), and the form for what the call got is offered beside it. On a PC without a
    dialer the number stays on screen to be dialled by hand."""
    phone = selectors.phone_get(user=request.user, pk=pk, action=perms.REVEAL_PHONE)
    call = bool(request.GET.get("call"))
    value = services.phone_reveal(actor=request.user, phone=phone, purpose="call" if call else "show")
    if call:
        return vary_on_htmx(_call_form(request, phone, value))
    context = {"value": value, "kind": "phone", "masked": phone.number_masked, "slot": f"p-{pk}"}
    return vary_on_htmx(render(request, "registry/_revealed.html", context))


def _call_form(request, phone, value, errors=(), status=200):
    context = {
        "phone": phone,
        "value": value,
        "purpose": _purpose(request),
        "outcomes": CallOutcome.choices,
        "errors": errors,
    }
    return render(request, "registry/_call_revealed.html", context, status=status)


@requires(perms.REVEAL_PHONE)
@require_POST
def call_record(request, pk):
    """Record what a call got (htmx, from `_call_revealed.html`): the phone's call slot comes back with the outcome
    beside the masked number; without htmx, the household card. The form's one-time token makes a resent form
    record nothing twice."""
    phone = selectors.call_get_phone(user=request.user, pk=pk)
    try:
        record = services.call_record(
            actor=request.user,
            phone=phone,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            purpose=_purpose(request),
            key=request.POST.get(FORM_FIELD, ""),
        )
    except ValidationError as exc:
        # the form again, with the number masked: a refused form is no new reveal
        return _call_form(request, phone, phone.number_masked, errors=exc.messages, status=400)
    if not request.htmx:
        messages.success(request, _("Call recorded."))
        return redirect("registry:household", pk=phone.resident.household_id)
    context = {"phone": phone, "call": record, "purpose": record.purpose, "name": phone.resident.name}
    return vary_on_htmx(render(request, "registry/_call_slot.html", context))


# ----------------------------------------------------------------------------------------------- warning lists


@requires(perms.VIEW)
def warning_list(request):
    """A flag's warning list (预警名单): who carries it in the user's area, by village group, with their phones in
    call order and who has been reached today. Without a flag, the flags to choose from."""
    village_id, group_id = AreaFilter(request.GET, request=request).area()
    code = request.GET.get("flag", "")
    context = {
        "villages": villages_for(user=request.user),
        "groups": groups_for(user=request.user, village_id=village_id) if village_id else [],
        "village_id": village_id,
        "group_id": group_id,
    }
    if not code:
        context["flags"] = selectors.flag_types(user=request.user)
        return render(request, "registry/warnings.html", context)
    flag = selectors.warning_flag(user=request.user, code=code)
    roster = selectors.warning_list(user=request.user, flag=flag, village_id=village_id, group_id=group_id)
    area = {"village": village_id, "group": group_id}
    context |= {
        "roster": roster,
        "flag": flag,
        "purpose": selectors.warning_purpose(flag),
        "kept": [("flag", flag.code)],
        "residents_url": _list_url("registry:residents", area, residence_status=LIVING, flag=flag.code),
    }
    return render(request, "registry/warnings.html", context)


# ----------------------------------------------------------------------------------------------- town set-up


@requires(perms.CONFIGURE)
def flags(request):
    """The flags a resident can carry (低保, 残疾 …): which are highlighted in an emergency, which have a level."""
    return form_page(
        request,
        FlagTypeForm(request.POST or None),
        lambda **data: services.flag_type_save(actor=request.user, **data),
        success=reverse("registry:flags"),
        done=_("Flag added."),
        template="registry/flags.html",
        context={"flags": lambda: selectors.flag_types_counted(user=request.user)},
    )


@requires(perms.CONFIGURE)
def flag_edit(request, pk):
    flag = selectors.flag_type_get(user=request.user, pk=pk)
    form = FlagTypeForm(
        request.POST or None,
        editing=True,
        initial={f: getattr(flag, f) for f in ("name", "emergency", "has_level", "sort")},
    )
    return form_page(
        request,
        form,
        lambda **data: services.flag_type_save(actor=request.user, flag=flag, **data),
        success=reverse("registry:flags"),
        done=_("Saved."),
        context={"title": flag.name, "cancel_url": reverse("registry:flags")},
    )
