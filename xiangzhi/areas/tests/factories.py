"""Towns, villages and groups made the way the installer and the town administrator make them: through
`areas.services`, each village and group with its audit row.

The factories call the services (`_create`), never `Model.save()`: a fixture gets exactly what a real set-up
leaves behind. Villages and groups need `actor=`, a town administrator (accounts' `UserFactory`): the areas app
does not know who its users are.
"""

import factory

from xiangzhi.areas import services
from xiangzhi.areas.choices import VillageKind
from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.models import Town


class TownFactory(factory.Factory):
    """A town, bare: apps that keep per-town settings seed them in their own factories."""

    class Meta:
        model = Town

    name = factory.Sequence(lambda n: f"测试{n}镇")
    code = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.town_create(**kwargs)


class VillageFactory(factory.Factory):
    """`VillageFactory(actor=admin)`: a village of the administrator's town, added through `village_save`."""

    class Meta:
        model = Village

    actor = None
    name = factory.Sequence(lambda n: f"测试{n}村")
    kind = VillageKind.VILLAGE
    code = ""

    @classmethod
    def _create(cls, model_class, *args, actor, **kwargs):
        return services.village_save(actor=actor, **kwargs)


class VillageGroupFactory(factory.Factory):
    """`VillageGroupFactory(actor=admin, village=v, number=1)`: a group added through `group_save` (named "1组"
    unless a name is given, as the service does)."""

    class Meta:
        model = VillageGroup

    actor = None
    village = None
    number = factory.Sequence(lambda n: n + 1)
    name = ""

    @classmethod
    def _create(cls, model_class, *args, actor, **kwargs):
        return services.group_save(actor=actor, **kwargs)
