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

- S3 listings: moto ignores a policy's conditions on S3 calls, so SparkJobRole's ListBucket,
  granted for its own prefixes only (a condition on `s3:prefix`), listed the whole bucket. Here
  a listing is judged with its prefix as `s3:prefix` (StringEquals and StringLike, which moto's
  conditions lack, evaluated), and an Allow whose condition fails does not apply, as in AWS,
  where moto would make it an explicit deny.
- EMR Serverless's GET calls (GetJobRun): moto checks a signature over the request's parsed
  parameters as if they were its body, so every signed GET failed with SignatureDoesNotMatch. A
  GET is signed over its empty body, and checked so here.
- EMR Serverless: moto authorises every call against the resource `*`, so TrainFunction's grants
  on its application's ARN (StartJobRun) and its job runs' (GetJobRun) never matched. Here the
  resource is the application's or the job run's ARN, as AWS evaluates them. StartJobRun also
  hands the job its execution role, for which AWS asks the caller for `iam:PassRole` on that
  role with `iam:PassedToService` = emr-serverless.amazonaws.com: checked here, moto does not.
- EMR Serverless job runs: moto makes each one SUCCESS at once and a second StartJobRun of the
  same clientToken a second run. Here a run is SUBMITTED until the local stack's job runner
  (local.emr_serverless) runs it and sets its state through `JOB_RUN_STATE_PATH`, the service's
  side, which no client of the API reaches; a repeated clientToken gets the run it started.
  Listing the runs of an application that has none yet is an empty list (moto: not found).

Everything else is moto's own server. tests/infrastructure/test_emulator_fidelity.py holds the
first two and the EMR Serverless ones; tests/integration/test_etl_load.py's
`test_a_published_load_leaves_nothing_staged` the third.
"""

import fnmatch
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import xmltodict
from botocore.awsrequest import AWSRequest
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.emrserverless.models import EMRServerlessBackend, JobRun, emrserverless_backends
from moto.emrserverless.responses import EMRServerlessResponse
from moto.iam import policy_conditions
from moto.iam.access_control import (
    IAMPolicy,
    IAMPolicyStatement,
    IAMRequest,
    PermissionResult,
    S3IAMRequest,
)
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

JOB_RUN_STATE_PATH = "/_local/emr-serverless/job-run-state"
"""POST {"region", "applicationId", "jobRunId", "state", "stateDetails"}: the local EMR
Serverless moves a run to `state`; the answer holds the state it left (`previousState`)."""
EMR_SERVERLESS_PRINCIPAL = "emr-serverless.amazonaws.com"
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


class _S3Request(S3IAMRequest):
    """A listing (s3:ListBucket) judged with its prefix, as AWS judges it."""

    def check_action_permitted(self, resource: str) -> None:
        if self._action != "s3:ListBucket":
            super().check_action_permitted(resource)
            return
        prefix = parse_qs(urlsplit(self._path).query).get("prefix", [""])[0]
        context = {"s3:prefix": prefix}
        results = [
            _statement_result(statement, self._action, resource, context)
            for policy in self._access_key.collect_policies()
            for statement in _statements(policy)
        ]
        if PermissionResult.DENIED in results or PermissionResult.PERMITTED not in results:
            self._raise_access_denied()


def _statements(policy: Any) -> list[dict[str, Any]]:
    document = IAMPolicy(policy)._policy_json
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _statement_result(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> PermissionResult:
    """moto's answer for one statement, except that an Allow whose condition fails does not
    apply (moto answers DENIED: an Allow cannot deny)."""
    result = IAMPolicyStatement(statement).is_action_permitted(action, resource, None, context)
    if statement.get("Effect") == "Allow" and result == PermissionResult.DENIED:
        return PermissionResult.NEUTRAL
    return result


def _authorise_s3(
    self: S3Response, bucket_name: str | None = None, key_name: str | None = None
) -> None:
    arn = f"{bucket_name or '*'}/{key_name}" if key_name else (bucket_name or "*")
    self._authenticate_and_authorize_action(_S3Request, f"arn:aws:s3:::{arn}")


def _string_like(expected_value: list[str] | str, actual_value: str) -> bool:
    patterns = [expected_value] if isinstance(expected_value, str) else expected_value
    return any(fnmatch.fnmatchcase(actual_value, pattern) for pattern in patterns)


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


class _EmrServerlessRequest(IAMRequest):
    def _create_aws_request(self) -> AWSRequest:
        request: AWSRequest = super()._create_aws_request()
        request.data = self._body
        return request


def _authorise_emr_serverless(self: EMRServerlessResponse, resource: str = "*") -> None:
    self._authenticate_and_authorize_action(_EmrServerlessRequest, resource)


def _emr_serverless_resource(self: EMRServerlessResponse) -> str:
    """The application's ARN, or its job run's when the request names one (GetJobRun)."""
    application_id = self._get_param("applicationId")
    if not application_id:
        return "*"
    account, region = self.current_account, self.region
    arn = f"arn:aws:emr-serverless:{region}:{account}:/applications/{application_id}"
    job_run_id = self._get_param("jobRunId")
    return f"{arn}/jobruns/{job_run_id}" if job_run_id else arn


class _PassRoleDeniedError(JsonRESTError):
    code = 403

    def __init__(self, caller: str, role_arn: str) -> None:
        super().__init__(
            "AccessDeniedException",
            f"User: {caller} is not authorized to perform: iam:PassRole on resource: {role_arn}",
        )


def _may_pass_role(policies: Iterable[Any], role_arn: str, service: str) -> bool:
    """IAM's answer for iam:PassRole of `role_arn` to `service`: some policy allows it (its
    conditions met by iam:PassedToService) and none denies it."""
    context = {"iam:PassedToService": service}
    results = [
        IAMPolicy(policy).is_action_permitted("iam:PassRole", role_arn, None, context)
        for policy in policies
    ]
    return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results


def _access_control_on() -> bool:
    return bool(
        ActionAuthenticatorMixin.request_count >= moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    )


_respond_to_start_job_run: Callable[[EMRServerlessResponse], ActionResult] = (
    EMRServerlessResponse.start_job_run
)


def _start_job_run_passing_its_role(self: EMRServerlessResponse) -> ActionResult:
    role_arn = str(self._get_param("executionRoleArn"))
    if _access_control_on():
        caller = IAMRequest(
            account_id=self.current_account,
            method=self.method,
            path=self.raw_path,
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action="StartJobRun",
        )._access_key
        if not _may_pass_role(caller.collect_policies(), role_arn, EMR_SERVERLESS_PRINCIPAL):
            raise _PassRoleDeniedError(caller.arn, role_arn)
    return _respond_to_start_job_run(self)


_start_job_run: Callable[..., JobRun] = EMRServerlessBackend.start_job_run


def _start_job_run_once(
    self: EMRServerlessBackend, application_id: str, client_token: str, **request: Any
) -> JobRun:
    """The run this clientToken started on the application, else a new one, SUBMITTED."""
    for run in self.job_runs.get(application_id, []):
        if client_token and run.client_token == client_token:
            return run
    run = _start_job_run(self, application_id=application_id, client_token=client_token, **request)
    run.state = "SUBMITTED"
    return run


_list_job_runs: Callable[..., list[JobRun]] = EMRServerlessBackend.list_job_runs


def _list_job_runs_of_any_application(
    self: EMRServerlessBackend, application_id: str, **filters: Any
) -> list[JobRun]:
    self.get_application(application_id)  # an application that does not exist is not found
    self.job_runs.setdefault(application_id, [])
    return _list_job_runs(self, application_id=application_id, **filters)


def _set_job_run_state(request: dict[str, Any]) -> dict[str, Any]:
    backend = emrserverless_backends[request.get("account", "123456789012")][request["region"]]
    run = backend.get_job_run(request["applicationId"], request["jobRunId"])
    previous = run.state
    run.state, run.state_details = request["state"], request.get("stateDetails")
    run.updated_at = utcnow()
    if "seconds" in request:
        run.total_execution_duration_seconds = int(request["seconds"])
    return {"previousState": previous, "state": run.state}


class _WithJobRunStates:
    """moto's server, and the local EMR Serverless's own path beside it."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != JOB_RUN_STATE_PATH:
            return self._app(environ, start_response)
        size = int(environ.get("CONTENT_LENGTH") or 0)
        answer = _set_job_run_state(json.loads(environ["wsgi.input"].read(size)))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]


SecretsManagerResponse._determine_resource = _requested_secret_arn  # type: ignore[attr-defined]
SQSResponse._authenticate_and_authorize_normal_action = _authorise_sqs  # type: ignore[assignment]
S3Response._bucket_response_delete_keys = _delete_keys_each_authorised  # type: ignore[method-assign]
S3Response._authenticate_and_authorize_s3_action = _authorise_s3  # type: ignore[method-assign,assignment]
policy_conditions.CONDITION_OPERATIONS["StringLike"] = _string_like
EMRServerlessResponse._authenticate_and_authorize_normal_action = _authorise_emr_serverless  # type: ignore[assignment]
EMRServerlessResponse._determine_resource = _emr_serverless_resource  # type: ignore[attr-defined]
EMRServerlessResponse.start_job_run = _start_job_run_passing_its_role  # type: ignore[method-assign]
EMRServerlessBackend.start_job_run = _start_job_run_once  # type: ignore[method-assign,assignment]
EMRServerlessBackend.list_job_runs = _list_job_runs_of_any_application  # type: ignore[method-assign,assignment]


def serve(fd: int) -> None:
    """What `moto_server` serves, threaded, on the socket the parent bound, until stopped."""
    app = _WithJobRunStates(DomainDispatcherApplication(create_backend_app))
    server = make_server(HOST, 0, app, threaded=True, request_handler=MotoRequestHandler, fd=fd)
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
