"""The households a user opened lately: the user's own convenience, not a change to the registry (no audit row;
the card's reads are what they are)."""

from django.utils import timezone

from ..models import Household, RecentHousehold

# Rows kept per user: more than the page shows, so that households which left the user's area leave enough behind.
RECENT_KEPT = 20


def household_opened(*, actor, household: Household) -> None:
    """Record that `actor` opened `household` (already read through restrict()): one upsert, and the user's rows
    beyond the newest RECENT_KEPT deleted — two statements, whatever the history. Each is atomic by itself and
    either may stand without the other (at worst a row too many until the next opening), so no transaction of
    their own: the card is read on every tap."""
    RecentHousehold.objects.bulk_create(
        [
            RecentHousehold(
                town_id=household.town_id, user=actor, household=household, opened_at=timezone.now()
            )
        ],
        update_conflicts=True,
        unique_fields=["user", "household"],
        update_fields=["opened_at"],
    )
    mine = RecentHousehold.objects.unrestricted("the user's own list, pruned").filter(user=actor)
    older = mine.order_by("-opened_at", "-pk").values("pk")[RECENT_KEPT:]
    mine.filter(pk__in=older).delete()
