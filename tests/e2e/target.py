"""What the end-to-end suite talks to: the local stack, or a deployed one, through the same
outputs (the API's URL, the data bucket, the dead-letter queues) and nothing else."""

from dataclasses import dataclass, field
from typing import Any

import boto3

from local.cloud import LocalCloud

OUTPUTS = (
    "ApiUrl",
    "DataBucketName",
    "RawUploadsDeadLetterQueueUrl",
    "InteractionsDeadLetterQueueUrl",
)


@dataclass(frozen=True)
class Target:
    """A stack seen from outside: its outputs, and how to sign requests to its AWS."""

    outputs: dict[str, str]
    client_arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.outputs["ApiUrl"].rstrip("/")

    @property
    def bucket(self) -> str:
        return self.outputs["DataBucketName"]

    @property
    def dead_letter_queues(self) -> list[str]:
        return [self.outputs[name] for name in OUTPUTS if name.endswith("DeadLetterQueueUrl")]

    def client(self, service: str) -> Any:
        return boto3.client(service, **self.client_arguments)  # type: ignore[call-overload]


def local_target(cloud: LocalCloud) -> Target:
    """The local stack, as its deployer (the identity that uploads data)."""
    missing = [name for name in OUTPUTS if name not in cloud.outputs]
    assert not missing, f"the local stack has no outputs {missing}"
    return Target(
        outputs=dict(cloud.outputs),
        client_arguments={
            "endpoint_url": cloud.endpoint_url,
            "region_name": cloud.region,
            "aws_access_key_id": cloud.deployer.access_key_id,
            "aws_secret_access_key": cloud.deployer.secret_access_key,
        },
    )


def deployed_target(stack_name: str) -> Target:
    """A deployed stack's outputs, with the caller's own AWS credentials."""
    cloudformation = boto3.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [name for name in OUTPUTS if name not in outputs]
    assert not missing, f"stack {stack_name} has no outputs {missing}"
    return Target(outputs=outputs)
