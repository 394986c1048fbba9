"""Every write to the registry. Each service is one transaction with its audit row and search keys; the modules
split them by topic, and this package is the one name callers use (`services.resident_add`)."""

from ._common import DuplicateIdNumber, FlagInput, PhoneInput
from .certificates import (
    certificate_id_number,
    certificate_issue,
    certificate_print,
    household_card_print,
)
from .flags import resident_flag_set
from .households import (
    household_change_head,
    household_confirm,
    household_create,
    household_merge,
    household_number_check,
    household_number_next,
    household_split,
    household_update,
)
from .recent import RECENT_KEPT, household_opened
from .residents import membership_end, resident_add, resident_move, resident_update
from .reveals import phone_reveal, resident_reveal_id
from .setup import DEFAULT_FLAGS, flag_type_save, town_flags_seed

__all__ = [
    "DEFAULT_FLAGS",
    "RECENT_KEPT",
    "DuplicateIdNumber",
    "FlagInput",
    "PhoneInput",
    "certificate_id_number",
    "certificate_issue",
    "certificate_print",
    "flag_type_save",
    "household_card_print",
    "household_change_head",
    "household_confirm",
    "household_create",
    "household_merge",
    "household_number_check",
    "household_number_next",
    "household_opened",
    "household_split",
    "household_update",
    "membership_end",
    "phone_reveal",
    "resident_add",
    "resident_flag_set",
    "resident_move",
    "resident_reveal_id",
    "resident_update",
    "town_flags_seed",
]
