from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from .models import ChangeRequest

_FIELDS = {"fields": _("parts approved")}
register_action("livedata.request.file", _("filed a change request"))
register_action("livedata.request.head_approve", _("approved a change request as household head"))
register_action("livedata.request.head_decline", _("declined a change request as household head"))
register_action("livedata.request.approve", _("approved a change request"), fields=_FIELDS)
register_action("livedata.request.approve_part", _("approved part of a change request"), fields=_FIELDS)
register_action(
    "livedata.request.approve_over",
    _("approved a change request over a newer record, confirming it"),
    fields={**_FIELDS, "on_record": _("on record when it was applied")},
)
register_action("livedata.request.reject", _("rejected a change request"))
register_action("livedata.request.conflict", _("found a change request out of date"))
register_action("livedata.request.photo_delete", _("deleted a change request's document photo"))
register_model(
    ChangeRequest,
    fields=(
        "kind",
        "household",
        "resident",
        "state",
        "asked_by",
        "proxy",
        "reason",
        "target_household",
        "over_current",
    ),
)
