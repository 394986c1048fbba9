from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class IdStatus(models.TextChoices):
    PRESENT = "present", _("Has an ID number")
    NONE = "none", _("No ID number")


class ResidenceStatus(models.TextChoices):
    AT_HOME = "at_home", _("Living at home (在家)")
    MIGRANT = "migrant", _("Working away (外出务工)")
    STUDYING = "studying", _("Studying away (外出就学)")
    MOVED_OUT = "moved_out", _("Moved away (迁出)")
    DECEASED = "deceased", _("Deceased (死亡)")


class Relationship(models.TextChoices):
    """Relationship to the head of household, in the words of GB/T 4761."""

    HEAD = "head", _("Head (户主)")
    SPOUSE = "spouse", _("Spouse (配偶)")
    SON = "son", _("Son (子)")
    DAUGHTER = "daughter", _("Daughter (女)")
    GRANDSON = "grandson", _("Grandson (孙子)")
    GRANDDAUGHTER = "granddaughter", _("Granddaughter (孙女)")
    FATHER = "father", _("Father (父亲)")
    MOTHER = "mother", _("Mother (母亲)")
    DAUGHTER_IN_LAW = "daughter_in_law", _("Daughter-in-law (儿媳)")
    SON_IN_LAW = "son_in_law", _("Son-in-law (女婿)")
    GRANDFATHER = "grandfather", _("Grandfather (祖父)")
    GRANDMOTHER = "grandmother", _("Grandmother (祖母)")
    SIBLING = "sibling", _("Brother or sister (兄弟姐妹)")
    OTHER = "other", _("Other (其他)")


class MembershipStart(models.TextChoices):
    """Why a resident joined a household: with `MembershipEnd`, a household's history and the town's population
    changes (人口变动) are read from the memberships themselves."""

    REGISTERED = "registered", _("Already living here (recorded)")
    BIRTH = "birth", _("Born (出生)")
    MARRIAGE = "marriage", _("Married in (婚入)")
    MOVED_IN = "moved_in", _("Moved in from outside the town (迁入本镇)")
    MOVED = "moved", _("Moved from another household of the town (镇内转户)")
    SPLIT = "split", _("Split off another household (分户)")
    MERGED = "merged", _("Households merged (并户)")


# What a cadre chooses when adding a member; the others are set by the service that moves people (move, split,
# merge), which knows where they came from.
ADD_MEMBER_REASONS = (
    MembershipStart.BIRTH,
    MembershipStart.MARRIAGE,
    MembershipStart.MOVED_IN,
    MembershipStart.REGISTERED,
)
ADD_MEMBER_CHOICES = [
    (value, label) for value, label in MembershipStart.choices if value in ADD_MEMBER_REASONS
]


class MembershipEnd(models.TextChoices):
    MOVED = "moved", _("Moved to another household")
    SPLIT = "split", _("Split into a new household (分户)")
    MERGED = "merged", _("Households merged")
    DECEASED = "deceased", _("Deceased")
    MOVED_OUT = "moved_out", _("Moved out of the town")
    REMOVED = "removed", _("Removed from the household")


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class PhoneHolder(models.TextChoices):
    SELF = "self", _("Self (本人)")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Son or daughter")
    RELATIVE = "relative", _("Other relative")
    NEIGHBOUR = "neighbour", _("Neighbour")
    OTHER = "other", _("Other")


# Living here: at home, or away for work or school but still of the town. The one definition; `Resident.living_here`
# filters by it. It is also what a resident's status may be set to directly: death and moving out end the
# membership instead.
LIVING_HERE = (ResidenceStatus.AT_HOME, ResidenceStatus.MIGRANT, ResidenceStatus.STUDYING)
LIVING_RESIDENCE_CHOICES = [
    (value, label) for value, label in ResidenceStatus.choices if value in LIVING_HERE
]
