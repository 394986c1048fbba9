"""Registry records made through `registry.services`, the way a cadre makes them: each household and resident
with its audit row and search keys, each ID number a valid one (GB 11643 check character).

`HouseholdFactory(actor=admin, group=g)` and `ResidentFactory(actor=admin, household=h)`: the actor is whoever
the test says makes the record (a town administrator, or a cadre of the household's village).
"""

import datetime

import factory

from xiangzhi.areas.tests.factories import TownFactory
from xiangzhi.registry import services
from xiangzhi.registry.idnumber import check_character
from xiangzhi.registry.models import Household, Resident

__all__ = ["HouseholdFactory", "ResidentFactory", "TownWithFlagsFactory", "make_id"]


def make_id(birth: datetime.date, sex: str = "M", seq: int = 12, area: str = "500111") -> str:
    """A valid 18-character ID number: area, birth date, a sequence whose parity is the sex, check character."""
    seq = seq * 2 + (1 if sex == "M" else 0)
    body = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + check_character(body)


class TownWithFlagsFactory(TownFactory):
    """A town as the registry sets one up: with the default flags (低保, 残疾, …)."""

    flags = factory.PostGeneration(
        lambda town, create, extracted, **kwargs: services.town_flags_seed(town=town) if create else None
    )


class HouseholdFactory(factory.Factory):
    class Meta:
        model = Household

    actor = None
    group = None
    number = factory.Sequence(lambda n: f"F-{n:04d}")
    address = ""
    house_number = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.household_create(**kwargs)


class ResidentFactory(factory.Factory):
    """A member of `household`: its head when the household has none yet, a son otherwise, with a valid ID
    number of the given birth date and sex (`ResidentFactory(..., id_number=None, no_id_reason=…)` for none)."""

    class Meta:
        model = Resident

    class Params:
        # births every 97 days from 1950, round again after 2013: a long test run never reaches the future
        birth = factory.Sequence(
            lambda n: datetime.date(1950, 1, 1) + datetime.timedelta(days=97 * (n % 240))
        )
        male = True

    actor = None
    household = None
    relationship = factory.LazyAttribute(lambda o: "son" if o.household.head_id else "head")
    start_reason = "registered"
    name = factory.Sequence(lambda n: f"测试{n}")
    id_number = factory.LazyAttributeSequence(lambda o, n: make_id(o.birth, "M" if o.male else "F", n))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.resident_add(**kwargs)
