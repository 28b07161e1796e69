"""`python -m local.moto_server`: moto's server, with two authorisations corrected to AWS's.

- Secrets Manager: with access control on, moto authorises its calls against the resource `*`,
  so a policy granting `secretsmanager:GetSecretValue` on one secret's ARN (what SAM's
  AWSSecretsManagerGetSecretValuePolicy grants) would never match and every read would be
  denied. Here the resource is the ARN of the secret the request names, as AWS evaluates it.
- SQS: moto asks for an IAM action named after each batch call (`sqs:DeleteMessageBatch`), which
  IAM does not have: AWS authorises a batch by the action of its single form
  (`sqs:DeleteMessage`), the permission an event source mapping's role holds.

Everything else is moto's own server. tests/infrastructure/test_emulator_fidelity.py holds both.
"""

import sys
from typing import Any

from moto.iam.access_control import IAMRequest
from moto.secretsmanager.exceptions import SecretNotFoundException
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.server import main
from moto.sqs.responses import SQSResponse

SQS_BATCH_PERMISSIONS = {
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "DeleteMessageBatch": "DeleteMessage",
    "SendMessageBatch": "SendMessage",
}


def _requested_secret_arn(self: SecretsManagerResponse) -> str:
    secret_id = self._get_param("SecretId")
    if not secret_id:
        return "*"
    try:
        return str(self.backend.secrets[secret_id].arn)
    except (KeyError, SecretNotFoundException):
        return "*"


class _SqsRequest(IAMRequest):
    def __init__(self, *, action: str, **request: Any) -> None:
        super().__init__(action=SQS_BATCH_PERMISSIONS.get(action, action), **request)


def _authorise_sqs(self: SQSResponse, resource: str = "*") -> None:
    self._authenticate_and_authorize_action(_SqsRequest, resource)


SecretsManagerResponse._determine_resource = _requested_secret_arn  # type: ignore[attr-defined]
SQSResponse._authenticate_and_authorize_normal_action = _authorise_sqs  # type: ignore[assignment]

if __name__ == "__main__":
    main(sys.argv[1:])
