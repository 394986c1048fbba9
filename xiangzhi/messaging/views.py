"""The outbox page: what was sent, what waits, what failed and why; a test message to check the gateway."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiangzhi.core.pages import form_saved, requires
from xiangzhi.core.permissions import can

from . import permissions as perms
from . import selectors, services, texts
from .forms import TestMessageForm
from .models import State


@requires(perms.VIEW_OUTBOX)
def outbox(request):
    state = request.GET.get("state") or None
    form = TestMessageForm(request.POST or None)
    if can(request.user, perms.SEND_TEST) and form_saved(
        request,
        form,
        lambda phone: services.test_sms_send(actor=request.user, phone=phone),
        _("The test message is queued: its state shows below."),
    ):
        return redirect("messaging:outbox")
    page = Paginator(selectors.outbox(user=request.user, state=state), 50).get_page(request.GET.get("page"))
    for message in page:
        message.kind_label = texts.text_label(message.kind)
    return render(
        request,
        "messaging/outbox.html",
        {
            "page": page,
            "state": state,
            "states": [
                (value, label, n) for (value, label), n in zip(State.choices, _counts(request), strict=True)
            ],
            "form": form,
            "may_send": can(request.user, perms.SEND_TEST),
        },
    )


def _counts(request) -> list[int]:
    counts = selectors.outbox_counts(user=request.user)
    return [counts[value] for value in State.values]


@requires(perms.SEND_TEST)
@require_POST
def resend(request, pk):
    message = selectors.message_get(user=request.user, pk=pk, action=perms.SEND_TEST)
    services.sms_resend(actor=request.user, message=message)
    messages.success(request, _("The message is queued again."))
    return redirect("messaging:outbox")
