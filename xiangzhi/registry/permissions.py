"""What the registry lets each role do, and over which part of the town.

view          read the registry (names, households, masked numbers)
change        write the registry
reveal_phone  see one full phone number (logged), call it, record and read what calls got
reveal_id     see ID numbers at all (masked) and reveal one in full (logged); search by ID fragment
configure     keep the town's list of flags residents can carry
print_card    print a household card as PDF (numbers masked; every print logged)
certify       issue certificates of residence (居住证明) and print them again (logged)
export_unmasked  export the ledger (台账) with full ID and phone numbers, with a stated reason (logged with the
              row count). Not `reveal_id`: that shows one number of one person on a screen, each reveal logged;
              a file of every number of a village leaves the system for good and cannot be hidden again, so it is
              the town administrator's alone (the one who answers for the town's data).
import        bring a village's ledger (台账) in from a spreadsheet: households and residents of any of its groups,
              with ID numbers — more than `change` (grid workers change their groups and never enter ID numbers)
"""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.landing import register_landing
from xiangzhi.core.permissions import Level, Role, register

_T, _V, _G = Level.TOWN, Level.VILLAGE, Level.GROUPS
PERSONAL = (
    "registry.Household",
    "registry.Resident",
    "registry.Membership",
    "registry.ResidentFlag",
    "registry.ContactPhone",
    "registry.SearchToken",
)
# What a user opened is read as the household it points to (a household that left the user's area drops out).
VIEWED = ("registry.RecentHousehold",)

VIEW = register(
    "registry.view",
    _("read the registry: households, residents, masked numbers"),
    # The duty officer warns households town-wide; the shop clerk finds households to serve (masked phones only).
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G, Role.DUTY: _T, Role.CLERK: _T},
    models=(*PERSONAL, *VIEWED, "registry.FlagType"),
)
CHANGE = register(
    "registry.change",
    _("change households and residents"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G},
    models=PERSONAL,
)
CONFIRM = register(
    "registry.confirm",
    _("confirm a household's record is still right (信息无变化)"),
    # a resident confirms their own household in one tap; whoever keeps the registry confirms on a visit
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G, Role.RESIDENT: Level.HOUSEHOLD},
    models=("registry.Household",),
)
REVEAL_PHONE = register(
    "registry.reveal_phone",
    _("see one full phone number (logged)"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G, Role.DUTY: _T},
    # who may call a number records what the call got and sees the calls before theirs
    models=("registry.ContactPhone", "registry.CallRecord"),
)
REVEAL_ID = register(
    "registry.reveal_id",
    _("see ID numbers (masked), reveal one (logged), search by ID fragment"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V},
    models=("registry.Resident",),
)
CONFIGURE = register(
    "registry.configure",
    _("keep the list of flags residents can carry"),
    grants={Role.TOWN_ADMIN: _T},
    models=("registry.FlagType",),
)
PRINT_CARD = register(
    "registry.print_card",
    _("print household cards (numbers masked; every print logged)"),
    # the card leaves the building: the roles who keep the registry, not the duty officer or the clerk
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G},
    models=PERSONAL,
)
CERTIFY = register(
    "registry.certify",
    _("issue certificates of residence (居住证明) and print them again (logged)"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V},
    models=("registry.Resident", "registry.ResidenceCertificate"),
)
EXPORT_UNMASKED = register(
    "registry.export_unmasked",
    _("export the ledger with full ID and phone numbers (a stated reason; logged with the row count)"),
    grants={Role.TOWN_ADMIN: _T},
    models=PERSONAL,
)

IMPORT = register(
    "registry.import",
    _("import a village's ledger (台账) from a spreadsheet"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V},
    models=(*PERSONAL, "areas.Village"),
)

# Where each role starts (core.landing): the dashboard for whoever keeps the registry; a shop clerk looks a
# household up at the counter, so until the shop (issue 14) registers its own page the clerk starts on the search.
register_landing("registry:home", action=VIEW)
register_landing("registry:search", action=VIEW, roles=[Role.CLERK])


def _register_importers() -> None:
    # the importer reads the registry's models: imported here, once the app registry is ready
    from xiangzhi.imports.engine import register_importer

    from .ledger.importer import LedgerImporter

    register_importer(LedgerImporter())


_register_importers()
