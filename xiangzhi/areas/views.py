"""Town set-up pages for the administrator: villages and communities, and their groups."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from xiangzhi.core.pages import form_saved, requires

from . import permissions as perms
from . import selectors, services
from .forms import GroupForm, VillageForm


@requires(perms.CONFIGURE)
def village_list(request):
    """The town's villages and communities with their groups; the administrator adds a village here."""
    form = VillageForm(request.POST or None)
    if form_saved(
        request, form, lambda **data: services.village_save(actor=request.user, **data), _("Village added.")
    ):
        return redirect("areas:villages")
    return render(
        request, "areas/villages.html", {"form": form, "villages": selectors.area_tree(user=request.user)}
    )


@requires(perms.CONFIGURE)
def village_edit(request, pk):
    village = selectors.village_get(user=request.user, pk=pk, action=perms.CONFIGURE)
    posted = request.POST.get("what", "village") if request.method == "POST" else None
    form = VillageForm(
        request.POST if posted == "village" else None,
        initial={"name": village.name, "kind": village.kind, "code": village.code},
    )
    group_form = GroupForm(
        request.POST if posted == "group" else None, initial={"number": selectors.next_group_number(village)}
    )
    if form_saved(
        request,
        form,
        lambda **data: services.village_save(actor=request.user, village=village, **data),
        _("Saved."),
    ) or form_saved(
        request,
        group_form,
        lambda **data: services.group_save(actor=request.user, village=village, **data),
        _("Group added."),
    ):
        return redirect("areas:village", pk=village.pk)
    return render(
        request,
        "areas/village.html",
        {"village": village, "form": form, "group_form": group_form, "groups": village.groups.all()},
    )


@requires(perms.CONFIGURE)
def group_edit(request, pk):
    group = selectors.group_get(user=request.user, pk=pk, action=perms.CONFIGURE)
    form = GroupForm(request.POST or None, initial={"number": group.number, "name": group.name})
    if form_saved(
        request,
        form,
        lambda **data: services.group_save(actor=request.user, group=group, **data),
        _("Saved."),
    ):
        return redirect("areas:village", pk=group.village_id)
    return render(
        request,
        "core/form.html",
        {
            "form": form,
            "title": f"{group.village.name} {group.name}",
            "cancel_url": reverse("areas:village", args=[group.village_id]),
        },
    )
