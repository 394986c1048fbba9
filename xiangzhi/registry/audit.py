"""What the registry writes to the audit log: its actions, and what a row keeps of a household, a resident and a
flag (ID and phone numbers masked). Imported at start-up by `CoreConfig.ready()`."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model
from xiangzhi.core.masking import mask_id_number, mask_phone

from . import permissions as perms
from .choices import PhoneHolder, Relationship
from .models import ContactPhone, FlagType, Household, Resident, ResidentFlag, shown_birth_date

_REVEALED_PHONE = {
    "phone": _("phone"),
    "number": _("phone number"),
    "holder": _("who answers"),
    "holder_name": _("answerer's name"),
    "resident": _("resident"),
}
_MEMBERS = {"members": _("members moved")}

register_action("registry.household.create", _("created a household"))
register_action("registry.household.update", _("changed a household"))
register_action("registry.household.confirm", _("confirmed a household's data"), fields={"via": _("where")})
register_action("registry.household.change_head", _("changed the head of a household"))
register_action(
    "registry.household.split",
    _("split a household"),
    fields={"new_household": _("new household"), **_MEMBERS},
)
register_action(
    "registry.household.merge",
    _("merged households"),
    fields={"source": _("household merged in"), **_MEMBERS},
)
register_action("registry.resident.add", _("added a resident"))
register_action("registry.resident.update", _("changed a resident"))
register_action("registry.resident.move", _("moved a resident to another household"))
register_action("registry.membership.end_deceased", _("recorded a death"))
register_action("registry.membership.end_moved_out", _("recorded a move out of the town"))
register_action("registry.membership.end_removed", _("removed a resident from a household"))
register_action("registry.resident.reveal_id", _("showed an ID number"))
register_action(
    "registry.resident.duplicate_id",
    _("entered an ID number already registered"),
    fields={"id_number": _("ID number")},
)
register_action("registry.phone.reveal", _("showed a phone number"), fields=_REVEALED_PHONE)
register_action("registry.phone.call", _("called a phone number"), fields=_REVEALED_PHONE)
register_action(
    "registry.call.record",
    _("recorded what a call got"),
    fields={
        "phone": _("phone"),
        "number": _("phone number"),
        "outcome": _("outcome"),
        "note": _("note"),
        "purpose": _("called for"),
    },
)
register_action(
    "registry.households.export",
    _("exported households"),
    fields={"rows": _("rows"), "filters": _("filters")},
)
register_action(
    "registry.residents.export",
    _("exported residents"),
    fields={"rows": _("rows"), "filters": _("filters")},
)
_LEDGER_EXPORT = {
    "rows": _("rows"),
    "format": _("file format"),
    "village": _("village"),
    "group": _("village group"),
    "reason": _("reason"),
}
register_action("registry.ledger.export", _("exported the ledger (numbers masked)"), fields=_LEDGER_EXPORT)
register_action(
    "registry.ledger.export_unmasked",
    _("exported the ledger with full ID and phone numbers"),
    fields=_LEDGER_EXPORT,
)
register_action("registry.household.print", _("printed a household card"), fields={"size": _("paper size")})
register_action(
    "registry.certificate.issue",
    _("issued a certificate of residence"),
    fields={"certificate": _("certificate number"), "purpose": _("purpose")},
)
register_action(
    "registry.certificate.print",
    _("printed a certificate of residence"),
    fields={
        "certificate": _("certificate number"),
        "size": _("paper size"),
        "id_in_full": _("ID number printed in full"),
    },
)
register_action(
    "registry.search.number",
    _("searched by a whole phone or ID number"),
    fields={"phone": _("phone number"), "id_number": _("ID number")},
)
register_action(
    "registry.ledger.import",
    _("imported a village ledger (台账)"),
    fields={
        "new": _("residents added"),
        "changed": _("residents changed"),
        "unchanged": _("residents unchanged"),
        "refused": _("rows refused"),
        "households_new": _("households added"),
        "households_changed": _("households changed"),
    },
)
register_action("registry.flag.create", _("added a flag"))
register_action("registry.flag.update", _("changed a flag"))
register_action("registry.demo_town.create", _("created the demo town"), fields={"accounts": _("accounts")})


_CHECKED = "the service checked scope with require()"


def _phones(resident: Resident) -> list[dict]:
    return [
        {"number": mask_phone(number), "holder": holder, "holder_name": holder_name, "priority": priority}
        for number, holder, holder_name, priority in ContactPhone.objects.unrestricted(_CHECKED)
        .filter(resident_id=resident.pk)
        .values_list("number", "holder", "holder_name", "priority")
    ]


def _flags(resident: Resident) -> list[str]:
    return sorted(
        f"{code}:{level}" if level else code
        for code, level in ResidentFlag.objects.unrestricted(_CHECKED)
        .filter(resident_id=resident.pk)
        .values_list("flag__code", "level")
    )


def _choice(choices):
    labels = dict(choices.choices)
    return lambda value: str(labels.get(value, value))


def _show_phones(phones) -> str:
    holder = _choice(PhoneHolder)
    return "; ".join(
        " ".join(filter(None, [p.get("number"), holder(p.get("holder")), p.get("holder_name")]))
        for p in phones
    )


register_model(
    Household,
    fields=("number", "group", "address", "house_number", "latitude", "longitude", "head", "status"),
    labels={"via": _("where")},
    link=("registry:household", perms.VIEW),
)
register_model(
    Resident,
    fields=(
        "name",
        "sex",
        "id_status",
        "id_number",
        "no_id_reason",
        "residence_status",
        "household",
        "notes",
    ),
    masked={"id_number": mask_id_number},
    # the birth date only where there is no ID number: beside a masked number it would complete it
    computed={"birth_date": shown_birth_date, "phones": _phones, "flags": _flags},
    labels={
        "phones": _("phones"),
        "flags": _("flags"),
        "relationship": _("relationship to the head"),
        "note": _("note"),
        "via": _("where"),
    },
    formats={"phones": _show_phones, "relationship": _choice(Relationship), "holder": _choice(PhoneHolder)},
)
register_model(
    FlagType,
    fields=("code", "name", "emergency", "has_level", "sort"),
    link=("registry:flag_edit", perms.CONFIGURE),
)
