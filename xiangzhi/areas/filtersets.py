"""Area filters (?village=, ?group=) shared by every list, export and dashboard, on pages and in the API alike.

One that names no village or group the user may view — out of scope, absent or malformed — is a 404, as any
record out of scope (`core.filtersets.ScopedFilterSet`).
"""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.filtersets import ScopedFilterSet, ScopedModelChoiceFilter

from . import permissions as perms
from .models import Village, VillageGroup


class AreaFilter(ScopedFilterSet):
    """The ?village= and ?group= of anything that lives in an area. Subclasses add the model and its own fields;
    the dashboard uses it alone, for `area()`."""

    village = ScopedModelChoiceFilter(Village, perms.VIEW, label=_("village"))
    group = ScopedModelChoiceFilter(VillageGroup, perms.VIEW, label=_("village group"))

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        if queryset is None and self._meta.model is None:
            queryset = VillageGroup.objects.none()  # used for its form only
        super().__init__(data, queryset, request=request, **kwargs)

    def area(self) -> tuple[int | None, int | None]:
        """The village and group ids asked for (None when not), after validation."""
        self.errors  # noqa: B018  # validates, and refuses an area out of scope
        data = getattr(self.form, "cleaned_data", {})
        village, group = data.get("village"), data.get("group")
        return (village.pk if village else None, group.pk if group else None)


class VillageGroupFilter(ScopedFilterSet):
    village = ScopedModelChoiceFilter(Village, perms.VIEW, label=_("village"))

    class Meta:
        model = VillageGroup
        fields = ["village"]
