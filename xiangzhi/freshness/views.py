"""Freshness: the dashboard, reconfirmation campaigns, and the life events a grid worker should act on."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core.pages import form_saved, requires
from xiangzhi.core.permissions import can

from . import permissions as perms
from . import selectors, services
from .forms import CampaignForm


@requires(perms.VIEW)
def dashboard(request):
    village_id, group_id = AreaFilter(request.GET, request=request).area()
    may_run = can(request.user, perms.RUN)
    form = CampaignForm(request.POST or None, user=request.user) if may_run else None
    started = []
    if form is not None and form_saved(
        request,
        form,
        lambda **data: started.append(services.campaign_start(actor=request.user, **data)),
        _("The campaign has started."),
    ):
        return redirect("freshness:campaign", pk=started[0].pk)
    return render(
        request,
        "freshness/dashboard.html",
        {
            "fresh": selectors.freshness(user=request.user, village_id=village_id, group_id=group_id),
            "campaigns": selectors.campaigns(user=request.user),
            "pending": selectors.pending_requests(
                user=request.user, village_id=village_id, group_id=group_id
            ),
            "form": form,
            "villages": villages_for(user=request.user),
            "groups": groups_for(user=request.user, village_id=village_id) if village_id else [],
            "village_id": village_id,
            "group_id": group_id,
        },
    )


@requires(perms.VIEW)
def campaign(request, pk):
    found = selectors.campaign_get(user=request.user, pk=pk)
    [progress] = [p for p in selectors.campaigns(user=request.user) if p.campaign.pk == found.pk]
    waiting = Paginator(selectors.campaign_waiting(user=request.user, campaign=found), 100).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "freshness/campaign.html",
        {"progress": progress, "waiting": waiting, "may_run": can(request.user, perms.RUN)},
    )


@requires(perms.RUN)
@require_POST
def campaign_remind(request, pk):
    found = selectors.campaign_get(user=request.user, pk=pk, action=perms.RUN)
    services.campaign_remind(actor=request.user, campaign=found)
    messages.success(request, _("Reminders are on their way to the households that have not confirmed."))
    return redirect("freshness:campaign", pk=found.pk)


@requires(perms.VIEW)
def prompts(request):
    found = selectors.life_events(user=request.user)
    return render(
        request,
        "freshness/prompts.html",
        {"prompts": found, "birthdays": selectors.birthdays_shown(request.user)},
    )
