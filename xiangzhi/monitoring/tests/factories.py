"""Points and reservoirs made the way the town administrator makes them: through `monitoring.services`.

`PointFactory(actor=admin, village=v, kind=PointKind.CAMERA)` — every other field has a default."""

import factory

from xiangzhi.monitoring import services
from xiangzhi.monitoring.choices import PointCategory, PointKind
from xiangzhi.monitoring.models import Point, Reservoir


class ReservoirFactory(factory.Factory):
    class Meta:
        model = Reservoir

    actor = None
    code = factory.Sequence(lambda n: f"SK{n:03d}")
    name = factory.Sequence(lambda n: f"测试{n}号水库")
    flood_limit_level = 312
    normal_pool_level = 315
    design_flood_level = 317
    dam_crest_elevation = 319

    @classmethod
    def _create(cls, model_class, *args, actor, **kwargs):
        return services.reservoir_create(actor=actor, **kwargs)


class PointFactory(factory.Factory):
    class Meta:
        model = Point

    actor = None
    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"测试点位{n}")
    kind = PointKind.CAMERA
    category = PointCategory.RURAL_ROAD
    village = None

    @classmethod
    def _create(cls, model_class, *args, actor, **kwargs):
        return services.point_create(actor=actor, **kwargs)
