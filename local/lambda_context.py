"""The context object Lambda passes to a handler, for running handlers outside Lambda
(the SQS trigger, `invoke`, benchmarks and tests)."""

import time
import uuid
from dataclasses import dataclass, field

from local.template import LOCAL_ACCOUNT


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object that handlers, Powertools and Mangum read."""

    function_name: str = "streamcat-local"
    memory_limit_in_mb: int = 3008
    timeout_s: float = 900
    region: str = "us-east-1"
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_s - time.monotonic()) * 1000))
