"""The administrator's forms for points, reservoirs and health policies. Stream credentials and the responsible
person's phone are write-only: the form never shows them back (it says whether one is on record), and a field
left empty keeps what is stored."""

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village
from xiangzhi.core import forms as core_forms
from xiangzhi.core.masking import mask_phone

from . import permissions as perms
from .choices import PointCategory, PointKind
from .models import Point, Reservoir


class PointForm(core_forms.SectionedForm):
    code = forms.CharField(label=_("Point code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=PointKind.choices)
    category = forms.ChoiceField(label=_("Category"), choices=PointCategory.choices)
    public_area = forms.BooleanField(label=_("Public-area monitoring point"), required=False)
    village = core_forms.ModelChoiceField(
        queryset=None, label=_("Village"), required=False, empty_label=_("the whole town")
    )
    latitude = forms.DecimalField(
        label=_("Latitude (WGS-84)"), max_digits=9, decimal_places=6, required=False
    )
    longitude = forms.DecimalField(
        label=_("Longitude (WGS-84)"), max_digits=9, decimal_places=6, required=False
    )
    reservoir = core_forms.ModelChoiceField(queryset=None, label=_("Reservoir watched"), required=False)
    forest_area = forms.CharField(label=_("Forest area watched"), max_length=60, required=False)
    stream_main_url = forms.CharField(
        label=_("Main stream (RTSP)"),
        max_length=300,
        required=False,
        help_text=_("Without the password: rtsp://192.168.1.64:554/Streaming/Channels/101"),
    )
    stream_sub_url = forms.CharField(label=_("Sub stream (RTSP)"), max_length=300, required=False)
    stream_username = forms.CharField(label=_("Stream username"), max_length=80, required=False)
    stream_password = forms.CharField(
        label=_("Stream password"),
        max_length=80,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    clear_credentials = forms.BooleanField(label=_("Remove the stored username and password"), required=False)
    vendor = forms.CharField(label=_("Vendor"), max_length=60, required=False)
    device_model = forms.CharField(label=_("Model"), max_length=60, required=False)
    installed_on = forms.DateField(label=_("Installed on"), required=False, widget=core_forms.DateInput())
    responsible = core_forms.ModelChoiceField(
        queryset=None, label=_("Responsible person (account)"), required=False
    )
    responsible_name = forms.CharField(
        label=_("Responsible person (no account)"), max_length=60, required=False
    )
    responsible_phone = forms.CharField(label=_("Their phone"), max_length=20, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def _sections(self):
        return (
            core_forms.Section(gettext("The point"), ("code", "name", "kind", "category", "public_area")),
            core_forms.Section(
                gettext("Where"), ("village", ("latitude", "longitude"), "reservoir", "forest_area")
            ),
            core_forms.Section(
                gettext("Camera stream"),
                (
                    "stream_main_url",
                    "stream_sub_url",
                    ("stream_username", "stream_password"),
                    "clear_credentials",
                ),
            ),
            core_forms.Section(gettext("Device"), ("vendor", "device_model", "installed_on")),
            core_forms.Section(
                gettext("Responsible person"),
                ("responsible", ("responsible_name", "responsible_phone")),
                rest=True,
            ),
        )

    def __init__(self, *args, user, instance: Point | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{
                        f: getattr(instance, f)
                        for f in (
                            "code",
                            "name",
                            "kind",
                            "category",
                            "public_area",
                            "latitude",
                            "longitude",
                            "forest_area",
                            "stream_main_url",
                            "stream_sub_url",
                            "vendor",
                            "device_model",
                            "installed_on",
                            "responsible_name",
                            "notes",
                        )
                    },
                    "village": instance.village_id,
                    "reservoir": instance.reservoir_id,
                    "responsible": instance.responsible_id,
                },
            )
        super().__init__(*args, **kwargs)
        self.sections = self._sections()
        self.instance = instance
        cast(core_forms.ModelChoiceField, self.fields["village"]).queryset = Village.objects.restrict(
            user, perms.CONFIGURE
        )
        cast(core_forms.ModelChoiceField, self.fields["reservoir"]).queryset = Reservoir.objects.restrict(
            user, perms.CONFIGURE
        )
        cast(core_forms.ModelChoiceField, self.fields["responsible"]).queryset = (
            get_user_model()
            .objects.restrict(user, perms.CONFIGURE)
            .filter(is_active=True)
            .order_by("username")
        )
        if instance is None or not instance.has_stream_credentials:
            del self.fields["clear_credentials"]
        else:
            self.fields["stream_username"].help_text = _("A username is stored; leave empty to keep it.")
            self.fields["stream_password"].help_text = _("A password is stored; leave empty to keep it.")
        if instance is not None and instance.responsible_phone:
            self.fields["responsible_phone"].help_text = _(
                "On record: %(phone)s; leave empty to keep it."
            ) % {"phone": mask_phone(instance.responsible_phone)}

    def service_kwargs(self) -> dict:
        """The cleaned data as the service takes it: write-only fields left empty are not passed (kept)."""
        data = dict(self.cleaned_data)
        for name in ("stream_username", "stream_password", "responsible_phone"):
            if not data.get(name):
                data.pop(name, None)
        if not data.get("clear_credentials"):
            data.pop("clear_credentials", None)
        return data


class ReservoirForm(core_forms.SectionedForm):
    code = forms.CharField(label=_("Reservoir code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=60)
    village = core_forms.ModelChoiceField(
        queryset=None, label=_("Village"), required=False, empty_label=_("the whole town")
    )
    flood_limit_level = forms.DecimalField(
        label=_("Flood-season limit level (汛限水位, m)"), max_digits=7, decimal_places=2, required=False
    )
    normal_pool_level = forms.DecimalField(
        label=_("Normal pool level (正常蓄水位, m)"), max_digits=7, decimal_places=2, required=False
    )
    design_flood_level = forms.DecimalField(
        label=_("Design flood level (设计洪水位, m)"), max_digits=7, decimal_places=2, required=False
    )
    dam_crest_elevation = forms.DecimalField(
        label=_("Dam crest elevation (坝顶高程, m)"), max_digits=7, decimal_places=2, required=False
    )
    latitude = forms.DecimalField(
        label=_("Latitude (WGS-84)"), max_digits=9, decimal_places=6, required=False
    )
    longitude = forms.DecimalField(
        label=_("Longitude (WGS-84)"), max_digits=9, decimal_places=6, required=False
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def _sections(self):
        return (
            core_forms.Section(gettext("The reservoir"), ("code", "name", "village")),
            core_forms.Section(
                gettext("Characteristic levels"),
                ("flood_limit_level", "normal_pool_level", "design_flood_level", "dam_crest_elevation"),
            ),
            core_forms.Section(gettext("Where"), (("latitude", "longitude"),), rest=True),
        )

    def __init__(self, *args, user, instance: Reservoir | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{f: getattr(instance, f) for f in self.base_fields if f != "village"},
                    "village": instance.village_id,
                },
            )
        super().__init__(*args, **kwargs)
        self.sections = self._sections()
        cast(core_forms.ModelChoiceField, self.fields["village"]).queryset = Village.objects.restrict(
            user, perms.CONFIGURE
        )


class PolicyForm(forms.Form):
    heartbeat_seconds = forms.IntegerField(
        label=_("Heartbeat interval (seconds)"), min_value=5, max_value=86400
    )
    missed_count = forms.IntegerField(label=_("Missed before offline"), min_value=1, max_value=100)
    probe_seconds = forms.IntegerField(
        label=_("Probe interval (seconds, 0: not probed)"), min_value=0, max_value=86400
    )
    min_state_seconds = forms.IntegerField(
        label=_("Minimum time in a state (seconds)"), min_value=0, max_value=86400
    )
    recover_after = forms.IntegerField(
        label=_("Good signs in a row to come back"), min_value=1, max_value=100
    )
