"""Property-based tests of the JSON API against its own OpenAPI document (schemathesis).

Every operation gets generated valid and invalid requests; each answer goes through all
of schemathesis's default checks: no 5xx, documented status codes, content types,
headers and bodies, valid data accepted, invalid data rejected, 405 with ``Allow`` for
undocumented methods.
"""

import schemathesis
from hypothesis import HealthCheck, settings

from pybackend.api_spec import openapi_document

BASE_URL = "http://example.com"  # an allowed host; test_api.py checks the app serves this
# schemathesis.pytest.from_fixture() would load the document from the app, but it does not
# work with pytest 9 (it sets Node._nodeid); the document is plain data, so load it here.
schema = schemathesis.openapi.from_dict(openapi_document(BASE_URL))


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    # The same examples on every run: CI must not turn red on a new random draw. Random
    # runs found that WebOb split query strings at an unescaped ";" (pybackend/request.py
    # now splits at "&" only, as browsers do); run with derandomize=False to explore.
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_openapi_document(case, app):
    # ``app`` is pybackend.main({}, dbengine=dbengine, **app_settings), once per backend.
    case.call_and_validate(app=app, base_url=BASE_URL)
