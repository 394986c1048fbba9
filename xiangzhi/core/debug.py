"""Error reports never carry personal data: whatever shows a traceback's local variables or a request's POST data
(Django's debug page, error e-mails, logs) gets them with phone and ID numbers replaced."""

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from .masking import has_personal_number


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    # names whose values are secret whatever they hold (Django's own list covers passwords, tokens, keys)
    hidden_settings = SafeExceptionReporterFilter.hidden_settings

    def _personal(self, value) -> bool:
        try:
            return has_personal_number(repr(value))
        except Exception:  # a repr that fails tells nothing, and shows nothing
            return True

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleansed_substitute if self._personal(value) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        return {
            k: self.cleansed_substitute if k == "QUERY_STRING" and has_personal_number(str(v)) else v
            for k, v in meta.items()
        }

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        cleansed = params.copy()
        for key in list(cleansed):
            values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
            if any(has_personal_number(str(v)) for v in values):
                cleansed[key] = self.cleansed_substitute
        return cleansed


class PersonalDataReporter(ExceptionReporter):
    """Django's report shows the query string (GET items, the request's URL) as it came: a search by a whole phone
    number would be in it. Those parts are replaced like the locals when they hold a personal number."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            hidden = PersonalDataReporterFilter.cleansed_substitute
            data["request_GET_items"] = [
                (k, hidden if has_personal_number(str(v)) else v) for k, v in self.request.GET.items()
            ]
            if has_personal_number(data.get("request_insecure_uri", "")):
                data["request_insecure_uri"] = self.request.path + "?" + hidden
        return data
