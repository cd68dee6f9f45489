"""The API's own description."""

from ...api_spec import openapi_document
from . import api_view_config


@api_view_config("api.openapi")
def openapi(request):
    return openapi_document(request.absolute_url(""))
