"""Powertools Logger, Metrics and Tracer, one of each per container, shared by every module.

Service name and metrics namespace come from the settings (`POWERTOOLS_SERVICE_NAME`,
`POWERTOOLS_METRICS_NAMESPACE`). The Tracer imports the X-Ray SDK (and botocore) when built, so
it is built only where it traces: in a real Lambda with tracing not switched off.
"""

from functools import cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.tracing import Tracer

from streamcat.settings import get_settings

_settings = get_settings()

logger = Logger(service=_settings.powertools_service_name)
metrics = Metrics(
    service=_settings.powertools_service_name,
    namespace=_settings.powertools_metrics_namespace,
)


def tracing_enabled() -> bool:
    settings = get_settings()
    in_lambda = settings.lambda_task_root is not None and not settings.aws_sam_local
    return in_lambda and not settings.powertools_trace_disabled


# PostgreSQL's calls as subsegments. Patching everything the X-Ray SDK knows would import
# botocore (~70 ms of a cold start) for calls no HTTP function makes, and its http.client patch
# imports urllib3 (~17 ms): the few AWS calls (streamcat.aws) show in the handler's segment.
TRACED_MODULES = ("psycopg2",)


@cache
def tracer() -> Tracer:
    return Tracer(service=get_settings().powertools_service_name, patch_modules=TRACED_MODULES)
