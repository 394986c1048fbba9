from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PHONE = "phone", _("New phone number")
    ADDRESS = "address", _("New address")
    RESIDENCE = "residence", _("Living at home, working away or moved away")
    NEWBORN = "newborn", _("A baby was born")
    DEATH = "death", _("Someone has died")
    MARRIAGE = "marriage", _("Someone married into the family")
    CORRECTION = "correction", _("Correct a name or ID number")
    TRANSFER = "transfer", _("Moved into another household of the town")


class State(models.TextChoices):
    AWAITING_HEAD = "awaiting_head", _("Waiting for the household head")
    PENDING = "pending", _("Waiting for the village")
    APPROVED = "approved", _("Approved")
    PARTLY = "partly", _("Partly approved")
    REJECTED = "rejected", _("Not approved")
    CONFLICT = "conflict", _("Changed since it was sent")


# about the household or a new member, not a member on record
HOUSEHOLD_KINDS = (Kind.ADDRESS, Kind.NEWBORN, Kind.MARRIAGE)
# sent with a photo of the document that proves them
PHOTO_KINDS = (Kind.CORRECTION, Kind.MARRIAGE)

OPEN = (State.AWAITING_HEAD, State.PENDING, State.CONFLICT)
DECIDED = (State.APPROVED, State.PARTLY, State.REJECTED)


class Residence(models.TextChoices):
    """What a resident may report of where someone lives (在家, 外出务工 with where, 迁出)."""

    AT_HOME = "at_home", _("Living at home (在家)")
    MIGRANT = "migrant", _("Working away (外出务工)")
    MOVED_OUT = "moved_out", _("Moved away (迁出)")
