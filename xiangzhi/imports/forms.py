from django import forms
from django.utils.translation import gettext_lazy as _

from . import reading
from .engine import Importer


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("An Excel workbook (.xlsx, .xls) or a CSV file; title rows above the header are fine."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )


class MappingForm(forms.Form):
    """One select per column of the file (showing its first values); "" leaves the column out."""

    save_as = forms.CharField(
        label=_("Save this matching as"),
        required=False,
        max_length=60,
        help_text=_("Optional: the next file with the same columns is matched the same way."),
    )

    def __init__(self, *args, importer: Importer, job, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [(f.key, f.header) for f in importer.fields]
        self.columns: list[tuple[str, str]] = []  # (form field name, normalised header)
        seen = set()
        for sheet in job.layouts:
            for i, header in enumerate(sheet["headers"]):
                n = reading.normalise(header)
                if not n or n in seen:
                    continue
                seen.add(n)
                name = f"col_{len(self.columns)}"
                samples = sheet["samples"][i] if i < len(sheet["samples"]) else []
                self.fields[name] = forms.ChoiceField(
                    label=header,
                    choices=choices,
                    required=False,
                    initial=job.mapping.get(n, ""),
                    help_text="、".join(samples) if samples else _("(no values)"),
                )
                self.columns.append((name, n))
        self.order_fields([name for name, _n in self.columns] + ["save_as"])

    def mapping(self) -> dict[str, str]:
        return {n: self.cleaned_data.get(name) or "" for name, n in self.columns}
