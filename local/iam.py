"""Each function's execution role, as `sam deploy` would create it, in the local moto server,
and the roles the stack's services run jobs as (the Spark training job's).

The roles come from template.yaml through SAM's own translator (policy templates such as
`AWSSecretsManagerGetSecretValuePolicy` expanded) with every intrinsic resolved to the local
resources. Once they exist, moto's IAM access control is switched on: from then on every request
must be signed by a known identity and is checked against that identity's policies, so a call
the template does not grant fails locally as it fails in AWS.
"""

import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from local.template import LocalStack, TemplateError, expand_sam, resources_of_type

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

# The identity of whoever deploys and feeds the stack (uploads, provisioning): everything.
DEPLOYER_USER = "streamcat-local-deployer"
_ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# Lambda asks for up to 12 hours; moto does not expire sessions, the role's limit is the cap.
_SESSION_SECONDS = 43200


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def environment(self) -> dict[str, str]:
        """The variables through which Lambda hands a function its role's credentials."""
        values = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
        if self.session_token:
            values["AWS_SESSION_TOKEN"] = self.session_token
        return values


# Any key signs requests before access control is on; none does after.
BOOTSTRAP = Credentials("bootstrap", "bootstrap")


def client(service: str, endpoint_url: str, region: str, credentials: Credentials) -> Any:
    """A boto3 client of the local endpoint signing as `credentials`."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )


@dataclass(frozen=True)
class ExecutionRole:
    """The role a function (or a job a service runs) acts as, with its policies resolved to
    local ARNs; `holder` names the function, or for a service's job the role itself."""

    holder: str
    role_name: str
    trust_policy: dict[str, Any]
    inline_policies: dict[str, dict[str, Any]]
    managed_policy_arns: list[str]


def role_name(stack: LocalStack, role_id: str) -> str:
    """As the local stack names a role of the template (the stack's name, then its id)."""
    return f"{stack.stack_name}-{role_id}"


def role_arn(stack: LocalStack, role_id: str) -> str:
    return f"arn:aws:iam::{stack.account_id}:role/{role_name(stack, role_id)}"


def function_roles(stack: LocalStack) -> dict[str, ExecutionRole]:
    """Function logical id to its role, for every function of the template."""
    expanded = expand_sam(stack.template, stack.region)
    roles = resources_of_type(expanded, "AWS::IAM::Role")
    found: dict[str, ExecutionRole] = {}
    for function, properties in resources_of_type(expanded, "AWS::Lambda::Function").items():
        role_ref = properties.get("Role") or {}
        role_id = (role_ref.get("Fn::GetAtt") or [None])[0]
        if role_id not in roles:
            raise TemplateError(f"{function}: its role is not created by the template")
        found[function] = _execution_role(stack, function, role_id, roles[role_id])
    return found


def service_roles(stack: LocalStack, service: str) -> dict[str, ExecutionRole]:
    """Role logical id to role, for every role of the template that `service` (its principal,
    `emr-serverless.amazonaws.com`) may assume: the roles the local stack's stand-in for that
    service acts as."""
    found: dict[str, ExecutionRole] = {}
    for role_id, role in resources_of_type(stack.template, "AWS::IAM::Role").items():
        trusted = [
            statement.get("Principal", {}).get("Service")
            for statement in role["AssumeRolePolicyDocument"]["Statement"]
        ]
        if service in trusted:
            found[role_id] = _execution_role(stack, role_id, role_id, role)
    return found


def _execution_role(
    stack: LocalStack, holder: str, role_id: str, role: dict[str, Any]
) -> ExecutionRole:
    return ExecutionRole(
        holder=holder,
        role_name=role_name(stack, role_id),
        trust_policy=stack.resolve(role["AssumeRolePolicyDocument"]),
        inline_policies={
            policy["PolicyName"]: _versioned(stack.resolve(policy["PolicyDocument"]))
            for policy in role.get("Policies") or []
        },
        managed_policy_arns=stack.resolve(role.get("ManagedPolicyArns") or []),
    )


def _versioned(document: dict[str, Any]) -> dict[str, Any]:
    """SAM's policy templates carry no Version; IAM then applies 2008-10-17, which moto refuses.
    Nothing in them needs the newer version's policy variables, so both mean the same."""
    return {"Version": "2012-10-17", **document}


def provision_roles(
    endpoint_url: str, region: str, roles: Mapping[str, ExecutionRole]
) -> tuple[Credentials, dict[str, Credentials]]:
    """Create the deployer and the roles, then take each role's session credentials as
    Lambda (or the service running a job) does (sts:AssumeRole), by the roles' keys. Runs
    before access control is on."""
    iam: IAMClient = client("iam", endpoint_url, region, BOOTSTRAP)
    deployer = _deployer(iam)
    sts = client("sts", endpoint_url, region, deployer)
    sessions: dict[str, Credentials] = {}
    for key, role in roles.items():
        arn = _create_role(iam, role)
        answer = sts.assume_role(
            RoleArn=arn, RoleSessionName=role.holder[:64], DurationSeconds=_SESSION_SECONDS
        )["Credentials"]
        sessions[key] = Credentials(
            answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"]
        )
    return deployer, sessions


def _deployer(iam: "IAMClient") -> Credentials:
    iam.create_user(UserName=DEPLOYER_USER)
    iam.put_user_policy(
        UserName=DEPLOYER_USER, PolicyName="deploy", PolicyDocument=json.dumps(_ADMIN_POLICY)
    )
    key = iam.create_access_key(UserName=DEPLOYER_USER)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def _create_role(iam: "IAMClient", role: ExecutionRole) -> str:
    arn = iam.create_role(
        RoleName=role.role_name,
        AssumeRolePolicyDocument=json.dumps(role.trust_policy),
        MaxSessionDuration=_SESSION_SECONDS,
    )["Role"]["Arn"]
    for name, document in role.inline_policies.items():
        iam.put_role_policy(
            RoleName=role.role_name, PolicyName=name, PolicyDocument=json.dumps(document)
        )
    for policy_arn in role.managed_policy_arns:
        iam.attach_role_policy(RoleName=role.role_name, PolicyArn=policy_arn)
    return arn


def enforce_access_control(endpoint_url: str) -> None:
    """From now on moto authenticates and authorises every request (IAM as in AWS)."""
    _post(f"{endpoint_url}/moto-api/reset-auth", "0")


def _post(url: str, body: str) -> None:
    request = urllib.request.Request(  # noqa: S310 (a loopback URL)
        url, data=body.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
