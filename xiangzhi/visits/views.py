"""Overdue visits, logging a visit from the household card (with photos), a visit's photo, and the town's visit
policies."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core.files import private_file_response
from xiangzhi.core.pages import apply_errors, requires
from xiangzhi.registry import selectors as registry
from xiangzhi.registry.models import Resident
from xiangzhi.registry.selectors import flag_types

from . import permissions as perms
from . import selectors, services
from .forms import PolicyForm, VisitForm


@requires(perms.VIEW)
def overdue(request):
    village_id, group_id = AreaFilter(request.GET, request=request).area()
    rows = selectors.overdue(user=request.user, village_id=village_id, group_id=group_id)
    return render(
        request,
        "visits/overdue.html",
        {
            "rows": rows[:300],
            "total": len(rows),
            "by_worker": selectors.overdue_by_worker(user=request.user, rows=rows),
            "by_village": selectors.overdue_by_village(rows),
            "policies": selectors.policies(user=request.user),
            "villages": villages_for(user=request.user),
            "groups": groups_for(user=request.user, village_id=village_id) if village_id else [],
            "village_id": village_id,
            "group_id": group_id,
        },
    )


@requires(perms.LOG)
def log(request, pk):
    household = registry.household_get(user=request.user, pk=pk, action=perms.LOG)
    members = list(
        Resident.objects.restrict(request.user, perms.LOG)
        .filter(Resident.living_here(), memberships__household=household, memberships__ended_at__isnull=True)
        .prefetch_related("flags__flag")
        .order_by("pk")
    )
    form = VisitForm(
        request.POST or None, request.FILES or None, members=members, flags=flag_types(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_log(
                actor=request.user,
                household=household,
                visited_on=form.cleaned_data["visited_on"],
                notes=form.cleaned_data["notes"],
                photos=form.cleaned_data["photos"],
                **form.findings(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The visit is logged."))
            return redirect("registry:household", pk=household.pk)
    return render(
        request,
        "visits/log.html",
        {
            "household": household,
            "form": form,
            "visits": selectors.household_visits(user=request.user, household=household),
        },
    )


@requires(perms.VIEW)
def photo(request, pk, size="full"):
    """A visit's photo (or its small copy) for who may read that household's visits; 404 for anyone else."""
    found = selectors.photo_get(user=request.user, pk=pk)
    return private_file_response(found.thumbnail if size == "small" else found.image)


@requires(perms.CONFIGURE)
def policies(request):
    flags = flag_types(user=request.user)
    current = {p.flag_id: p.every_days for p in selectors.policies(user=request.user)}
    forms = [
        (
            flag,
            PolicyForm(
                request.POST or None, prefix=f"f{flag.pk}", initial={"every_days": current.get(flag.pk)}
            ),
        )
        for flag in flags
    ]
    if request.method == "POST" and all(form.is_valid() for _flag, form in forms):
        for flag, form in forms:
            if form.cleaned_data["every_days"] != current.get(flag.pk):
                services.policy_set(actor=request.user, flag=flag, every_days=form.cleaned_data["every_days"])
        messages.success(request, _("Saved."))
        return redirect("visits:policies")
    return render(request, "visits/policies.html", {"forms": forms})
