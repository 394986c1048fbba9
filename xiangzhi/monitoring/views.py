"""The monitoring pages: the health page (by category and village, offline longest, never seen), the point list
with its filters, a point's page (its fields, status history, latest readings and snapshot), and the town
administrator's forms for points, reservoirs and health policies."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.areas.selectors import villages_for
from xiangzhi.core.pages import form_page, form_saved, requires

from . import permissions as perms
from . import selectors, services
from .choices import UNITS, PointKind
from .filtersets import PointFilter
from .forms import PointForm, PolicyForm, ReservoirForm
from .models import DEFAULT_POLICIES


@requires(perms.VIEW)
def health(request):
    village_id, _group_id = AreaFilter(request.GET, request=request).area()
    kind = request.GET.get("kind") if request.GET.get("kind") in PointKind.values else None
    figures = selectors.health(user=request.user, village_id=village_id, kind=kind)
    return render(
        request,
        "monitoring/health.html",
        {
            "h": figures,
            "kinds": PointKind.choices,
            "kind": kind,
            "village_id": village_id,
            "villages": villages_for(user=request.user),
        },
    )


@requires(perms.VIEW)
def point_list(request):
    filters = PointFilter(request.GET, queryset=selectors.points(user=request.user), request=request)
    qs = filters.qs.order_by("code", "pk")
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "monitoring/points.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "can_configure": request.user.can(perms.CONFIGURE),
        },
    )


@requires(perms.VIEW)
def point_detail(request, pk):
    point = selectors.point_get(user=request.user, pk=pk)
    readings = selectors.latest_readings(user=request.user, point=point)
    return render(
        request,
        "monitoring/point.html",
        {
            "point": point,
            "history": selectors.status_history(user=request.user, point=point),
            "readings": [(r, UNITS.get(r.quantity, "")) for r in readings],
            "snapshot": selectors.latest_snapshot(user=request.user, point=point),
            "policy": services.policy_for(point),
            "can_configure": request.user.can(perms.CONFIGURE),
        },
    )


@requires(perms.VIEW)
def snapshot_image(request, pk):
    shot = selectors.snapshot_get(user=request.user, pk=pk)
    kind = "image/png" if shot.image.name.endswith(".png") else "image/jpeg"
    return FileResponse(shot.image.open("rb"), content_type=kind)


@requires(perms.CONFIGURE)
def point_create(request):
    form = PointForm(request.POST or None, user=request.user)
    return _point_form(
        request,
        form,
        lambda: services.point_create(actor=request.user, **form.service_kwargs()),
        _("New monitoring point"),
        _("The point is added."),
    )


@requires(perms.CONFIGURE)
def point_edit(request, pk):
    point = selectors.point_get(user=request.user, pk=pk, action=perms.CONFIGURE)
    form = PointForm(request.POST or None, user=request.user, instance=point)
    return _point_form(
        request,
        form,
        lambda: services.point_update(actor=request.user, point=point, **form.service_kwargs()),
        _("Edit %(point)s") % {"point": point},
        _("Saved."),
        cancel=reverse("monitoring:point", args=[point.pk]),
    )


def _point_form(request, form, save, title, done, cancel=None):
    saved = []
    if form_saved(request, form, lambda **_data: saved.append(save()), done):
        return redirect("monitoring:point", pk=saved[0].pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": title, "cancel_url": cancel or reverse("monitoring:points")},
    )


@requires(perms.VIEW)
def reservoir_list(request):
    return render(
        request,
        "monitoring/reservoirs.html",
        {
            "reservoirs": list(selectors.reservoirs(user=request.user).order_by("code", "pk")),
            "can_configure": request.user.can(perms.CONFIGURE),
        },
    )


@requires(perms.CONFIGURE)
def reservoir_create(request):
    return form_page(
        request,
        ReservoirForm(request.POST or None, user=request.user),
        lambda **data: services.reservoir_create(actor=request.user, **data),
        success=reverse("monitoring:reservoirs"),
        done=_("The reservoir is added."),
        context={"title": _("New reservoir"), "cancel_url": reverse("monitoring:reservoirs")},
    )


@requires(perms.CONFIGURE)
def reservoir_edit(request, pk):
    reservoir = selectors.reservoir_get(user=request.user, pk=pk, action=perms.CONFIGURE)
    return form_page(
        request,
        ReservoirForm(request.POST or None, user=request.user, instance=reservoir),
        lambda **data: services.reservoir_update(actor=request.user, reservoir=reservoir, **data),
        success=reverse("monitoring:reservoirs"),
        done=_("Saved."),
        context={
            "title": _("Edit %(reservoir)s") % {"reservoir": reservoir},
            "cancel_url": reverse("monitoring:reservoirs"),
        },
    )


@requires(perms.CONFIGURE)
def policies(request):
    current = services.policies_by_kind(request.user.town_id)
    forms = [
        (
            kind,
            label,
            PolicyForm(
                request.POST or None,
                prefix=kind,
                initial={
                    f: getattr(current[kind], f)
                    for f in (
                        "heartbeat_seconds",
                        "missed_count",
                        "probe_seconds",
                        "min_state_seconds",
                        "recover_after",
                    )
                },
            ),
        )
        for kind, label in PointKind.choices
        if kind in DEFAULT_POLICIES
    ]
    if request.method == "POST" and all(form.is_valid() for _k, _l, form in forms):
        for kind, _label, form in forms:
            if form.has_changed():
                services.policy_set(actor=request.user, kind=kind, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("monitoring:policies")
    return render(request, "monitoring/policies.html", {"forms": forms})
