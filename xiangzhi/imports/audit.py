from django.utils.translation import gettext_lazy as _

from xiangzhi.core.audit import register_action, register_model

from .models import ImportJob, SavedMapping

register_action("imports.job.upload", _("uploaded a file to import"))
register_action("imports.job.map", _("matched an import's columns"))
register_action("imports.job.check", _("checked an import (dry run)"))
register_action("imports.job.commit", _("imported a file"))
register_action("imports.job.fail", _("an import failed"))
register_action("imports.job.file_delete", _("deleted an imported file"))
register_action("imports.mapping.save", _("saved a column mapping"))
register_model(ImportJob, fields=("kind", "village", "state", "file_name", "counts", "reason"))
register_model(SavedMapping, fields=("kind", "name"))
