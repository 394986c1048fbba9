"""Publishing a notice and recording that a household read it."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.masking import has_personal_number
from xiangzhi.core.permissions import reach
from xiangzhi.core.scoping import require

from . import permissions as perms
from .models import Notice, NoticeReceipt
from .selectors import household_notices


@transaction.atomic
def notice_publish(*, actor, title: str, body: str, village=None, groups=(), sms: bool = False) -> Notice:
    """A notice to the whole town (no village: town-level roles only), a village, or some of its groups."""
    require(actor, perms.PUBLISH)
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ValidationError(_("A notice needs a title and a text."))
    if has_personal_number(title) or has_personal_number(body):
        # a notice is read by the whole audience: no one's phone or ID number in it
        raise ValidationError({"body": _("A notice is public: leave phone and ID numbers out of it.")})
    if village is None:
        scope = reach(actor, perms.PUBLISH)
        if scope is None or not scope.whole_town:
            raise ValidationError(
                {"village": _("Choose your village: only the town can notify every village.")}
            )
    else:
        require(actor, perms.PUBLISH, village)
    for group in groups:
        if village is None or group.village_id != village.pk:
            raise ValidationError({"groups": _("The groups must be in the village chosen.")})
        require(actor, perms.PUBLISH, group)
    notice = Notice.objects.create(
        town_id=actor.town_id, title=title, body=body, village=village, sms=sms, published_by=actor
    )
    notice.groups.set(groups)
    audit_record(actor=actor, action="notices.notice.publish", target=notice, after=snapshot(notice))
    if sms:
        from .tasks import notice_texts_send

        notice_texts_send.enqueue(notice.pk)
    return notice


def notice_read(*, user, notice: Notice, household) -> NoticeReceipt:
    """The household has read the notice (a member opened it); the first reading counts, later ones change
    nothing."""
    require(user, perms.READ_OWN, household)
    if not household_notices(user=user, household=household).filter(pk=notice.pk).exists():
        raise NotInScope  # not addressed to this household
    try:
        with transaction.atomic():
            return NoticeReceipt.objects.create(
                town_id=household.town_id, notice=notice, household=household, read_by=user
            )
    except IntegrityError:
        return NoticeReceipt.objects.restrict(user, perms.READ_OWN).get(notice=notice, household=household)
