"""The OpenAPI schema is the contract for integrators: Schemathesis sends every /api/v1/ operation what the schema
allows (and what it does not) as the town administrator and as a grid worker, against a small registry, and every
answer must be no 5xx, with a status code, content type, headers and body the schema documents.

Bounded and repeatable: the schema is built in-process, requests go to the WSGI app (no network), generation is
derandomized with a fixed seed and few examples per operation (the coverage phase adds its boundary cases: empty
strings, huge integers, wrong types, unknown enum values), the whole run takes well under a minute on SQLite.
Writes the fuzzer makes go through the real services inside the test's transaction.
"""

import json
from collections.abc import Callable

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
)
schema.app = get_wsgi_application()
schema.config.seed = 20260101
schema.config.generation.update(
    max_examples=10,
    deterministic=True,
    database="none",
    # the test sends a real token; generated cookies or tokens would only be refused (403) before any check
    with_security_parameters=False,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    unsupported_method,
    ignored_auth,
]

# `positive_data_acceptance` expects every request the schema allows to succeed. By design it cannot for these:
# a write is refused (400, naming the field) when the data breaks a rule OpenAPI cannot state — a group or flag
# that does not exist or is out of the user's scope, a household number already taken, an ID number whose check
# digit is wrong, a split or merge that names people not in the household; and a list filter naming a row by its
# id (`?village=0`) is a 400 for an id that names no row the user may see, as django-filter answers.
SCHEMA_VALID_MAY_BE_REFUSED = {
    "GET /api/v1/areas/groups/",
    "GET /api/v1/audit/",
    "GET /api/v1/registry/households/",
    "GET /api/v1/registry/residents/",
}


# `unsupported_method` expects a 405 for a method the schema does not list. An endpoint whose action the user
# lacks does not exist for them: every method is a 404 (the authorization matrix decides so). Neither the town
# administrator nor a grid worker reads the audit log.
NOT_FOR_THESE_ROLES = {"GET /api/v1/audit/", "GET /api/v1/audit/{id}/"}


def _checks(case) -> list:
    off: set[Callable] = set()
    if case.method.upper() in ("POST", "PUT") or case.operation.label in SCHEMA_VALID_MAY_BE_REFUSED:
        off.add(positive_data_acceptance)
    if case.operation.label in NOT_FOR_THESE_ROLES:
        off.add(unsupported_method)
    return [check for check in CHECKS if check not in off]


@pytest.fixture
def wsgi_requests_keep_the_test_transaction():
    """The WSGI handler closes "old" connections around each request, which would end the test's transaction;
    Django's test client unhooks the same signal handler."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["admin", "grid"])
def auth_header(request, household_a, household_b, admin_user, grid, wsgi_requests_keep_the_test_transaction):
    user = {"admin": admin_user, "grid": grid}[request.param]
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@schema.parametrize()
# The registry is made once per operation and role, not per example: each example sees the writes of those before
# it, as a real client's requests would.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_contract(case, auth_header):
    case.call_and_validate(headers=auth_header, checks=_checks(case))
