"""Notices: the list with a publish form, and each notice with the households that have not read it."""

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xiangzhi.core.pages import form_saved, requires
from xiangzhi.core.permissions import can

from . import permissions as perms
from . import selectors, services
from .forms import NoticeForm


@requires(perms.VIEW)
def notice_list(request):
    may_publish = can(request.user, perms.PUBLISH)
    form = NoticeForm(request.POST or None, user=request.user) if may_publish else None
    published = []
    if form is not None and form_saved(
        request,
        form,
        lambda **data: published.append(services.notice_publish(actor=request.user, **data)),
        _("The notice is published."),
    ):
        return redirect("notices:notice", pk=published[0].pk)
    page = Paginator(selectors.notices(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notices/list.html", {"page": page, "form": form})


@requires(perms.VIEW)
def notice_detail(request, pk):
    notice = selectors.notice_get(user=request.user, pk=pk)
    readership = selectors.readership(user=request.user, notice=notice)
    unread = Paginator(readership.unread, 100).get_page(request.GET.get("page"))
    return render(
        request, "notices/detail.html", {"notice": notice, "readership": readership, "unread": unread}
    )
