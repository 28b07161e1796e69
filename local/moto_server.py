"""`python -m local.moto_server FD`: moto's server on the listening socket FD its parent bound
(so the port was never free between its choice and its use), with three authorisations
corrected to AWS's.

- Secrets Manager: with access control on, moto authorises its calls against the resource `*`,
  so a policy granting `secretsmanager:GetSecretValue` on one secret's ARN (what SAM's
  AWSSecretsManagerGetSecretValuePolicy grants) would never match and every read would be
  denied. Here the resource is the ARN of the secret the request names, as AWS evaluates it.
- SQS: moto asks for an IAM action named after each batch call (`sqs:DeleteMessageBatch`), which
  IAM does not have: AWS authorises a batch by the action of its single form
  (`sqs:DeleteMessage`), the permission an event source mapping's role holds.
- S3 DeleteObjects: moto authorises the whole request as `s3:DeleteObject` on the bucket's ARN,
  so a grant on a prefix (the ETL's on `staging/*`) denied every key and left the objects in
  place. AWS authorises each key on its own: `s3:DeleteObject` on the key's ARN, or
  `s3:DeleteObjectVersion` for a version.

Everything else is moto's own server. tests/infrastructure/test_emulator_fidelity.py holds the
first two; tests/integration/test_etl_load.py's `test_a_published_load_leaves_nothing_staged`
the third.
"""

import sys
from typing import Any

import xmltodict
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult
from moto.iam.access_control import IAMRequest
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError
from moto.s3.responses import S3Response
from moto.secretsmanager.exceptions import SecretNotFoundException
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sqs.responses import SQSResponse
from werkzeug.serving import make_server

from local.ports import HOST

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


def _delete_keys_each_authorised(
    self: S3Response, bucket_name: str, authenticated: bool = True
) -> TYPE_RESPONSE:
    """DeleteObjects with each key authorised on its own; moto has checked the request's
    signature before, whatever `authenticated` says of the bucket-wide authorisation."""
    objects = xmltodict.parse(self.body, strip_whitespace=False)["Delete"].get("Object", [])
    objects = objects if isinstance(objects, list) else [objects]
    permitted = [o for o in objects if _may_delete(self, bucket_name, o)]
    bypass = self.headers.get("x-amz-bypass-governance-retention", "").lower() == "true"
    deleted, locked = (
        self.backend.delete_objects(bucket_name, permitted, bypass) if permitted else ([], [])
    )
    denied = [(o["Key"], "Access Denied") for o in objects if o not in permitted]
    denied += [(key, "Access Denied because object protected by object lock.") for key in locked]
    self.data["Action"] = "DeleteObjects"
    result = {
        "Deleted": [
            {
                "Key": key,
                "VersionId": version or None,
                "DeleteMarkerVersionId": marker or None,
                "DeleteMarker": True if marker else None,
            }
            for key, version, marker in deleted
        ],
        "Errors": [{"Key": key, "Code": "AccessDenied", "Message": why} for key, why in denied],
    }
    return self.serialized(ActionResult(result))


def _may_delete(self: S3Response, bucket_name: str, requested: dict[str, str]) -> bool:
    self.data["Action"] = "DeleteObjectVersion" if requested.get("VersionId") else "DeleteObject"
    try:
        self._authenticate_and_authorize_s3_action(
            bucket_name=bucket_name, key_name=requested["Key"]
        )
    except (BucketAccessDeniedError, S3AccessDeniedError):
        return False
    return True


SecretsManagerResponse._determine_resource = _requested_secret_arn  # type: ignore[attr-defined]
SQSResponse._authenticate_and_authorize_normal_action = _authorise_sqs  # type: ignore[assignment]
S3Response._bucket_response_delete_keys = _delete_keys_each_authorised  # type: ignore[method-assign]


def serve(fd: int) -> None:
    """What `moto_server` serves, threaded, on the socket the parent bound, until stopped."""
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(HOST, 0, app, threaded=True, request_handler=MotoRequestHandler, fd=fd)
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
