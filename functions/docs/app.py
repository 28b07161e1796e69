"""The docs Lambda: the whole API's OpenAPI document at `/openapi.json`, Swagger UI at `/docs`,
and `/health`. API Gateway routes only those paths here; the queries run in their own functions."""

from streamcat.api.app import create_whole_api_app
from streamcat.api.handler import make_handler

app = create_whole_api_app()
handler = make_handler(app)
