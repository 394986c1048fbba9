"""Helpers the registry's tests share."""

from xiangzhi.registry import services


def update_resident(actor, resident, **changes):
    """services.resident_update with the resident's current values for every field not given."""
    current = {
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": None,
        "id_number": None,
        "no_id_reason": resident.no_id_reason,
        "residence_status": resident.residence_status,
    }
    return services.resident_update(actor=actor, resident=resident, **(current | changes))
