"""The stack's AWS resources in the local moto server, made from template.yaml.

The data bucket (its name, versioning and notifications), the queues (visibility timeout,
retention, redrive policy), the two database logins in Secrets Manager, the EMR Serverless
application, every function's execution role and the Spark job's role are read from the template
and created as CloudFormation would create them; then IAM is enforced. What was made is saved to
`.local/stack.json`, the local counterpart of the stack's outputs, so `make invoke` and the
end-to-end tests reach the same resources.
"""

import json
import secrets
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from local.iam import (
    BOOTSTRAP,
    Credentials,
    client,
    enforce_access_control,
    function_roles,
    provision_roles,
    role_arn,
    service_roles,
)
from local.s3 import LocalS3Error, is_local_endpoint
from local.template import LocalStack, TemplateError, resources_of_type

STATE_FILE = Path(__file__).resolve().parent.parent / ".local" / "stack.json"
EMR_SERVERLESS = "emr-serverless.amazonaws.com"


@dataclass(frozen=True)
class DatabaseLogin:
    """The local PostgreSQL as the template's RDS instance and proxy: where, and the master
    login the RDS-managed secret would hold."""

    host: str
    port: int
    username: str
    password: str
    dbname: str


@dataclass(frozen=True)
class LocalCloud:
    """What the local stack provisioned: enough to reach every resource and act as any role."""

    endpoint_url: str
    region: str
    resources: dict[str, dict[str, str]]
    outputs: dict[str, str]
    deployer: Credentials
    functions: dict[str, Credentials]
    # What every function's environment changes from the template locally (set by the stack).
    function_overrides: dict[str, str] = field(default_factory=dict)
    # The roles EMR Serverless runs jobs as, by their logical ids (local.emr_serverless).
    job_roles: dict[str, Credentials] = field(default_factory=dict)
    # The template parameters given values other than their defaults, as `sam deploy
    # --parameter-overrides` gives them.
    parameters: dict[str, str] = field(default_factory=dict)

    def stack(self, template: dict[str, Any]) -> LocalStack:
        return LocalStack(
            template=template,
            region=self.region,
            parameters=self.parameters,
            resources=self.resources,
        )

    def save(self, path: Path = STATE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path = STATE_FILE) -> "LocalCloud":
        data = json.loads(path.read_text())
        return cls(
            endpoint_url=data["endpoint_url"],
            region=data["region"],
            resources=data["resources"],
            outputs=data["outputs"],
            deployer=Credentials(**data["deployer"]),
            functions={name: Credentials(**c) for name, c in data["functions"].items()},
            function_overrides=data.get("function_overrides", {}),
            job_roles={name: Credentials(**c) for name, c in data.get("job_roles", {}).items()},
            parameters=data.get("parameters", {}),
        )


def provision(
    template: dict[str, Any],
    endpoint_url: str,
    region: str,
    database: DatabaseLogin,
    parameters: Mapping[str, str] | None = None,
) -> LocalCloud:
    """Create the template's bucket, queues, secrets and roles; then turn IAM on. `parameters`
    override the template's defaults."""
    if not is_local_endpoint(endpoint_url):
        raise LocalS3Error(f"refusing to provision {endpoint_url!r}: not a loopback endpoint")
    stack = LocalStack(template=template, region=region, parameters=dict(parameters or {}))
    stack = _queues(stack, endpoint_url)
    stack = _secrets(stack, endpoint_url, database)
    stack = _database(stack, database)
    stack = _bucket(stack, endpoint_url)
    stack = _emr_serverless(stack, endpoint_url)
    stack = _roles(stack)
    stack = _functions(stack)
    of_functions, of_jobs = function_roles(stack), service_roles(stack, EMR_SERVERLESS)
    deployer, sessions = provision_roles(endpoint_url, region, {**of_functions, **of_jobs})
    enforce_access_control(endpoint_url)
    outputs = {
        name: str(value)
        for name, output in (template.get("Outputs") or {}).items()
        if (value := stack.try_resolve(output["Value"])) is not None
    }
    return LocalCloud(
        endpoint_url=endpoint_url,
        region=region,
        resources={name: dict(facts) for name, facts in stack.resources.items()},
        outputs=outputs,
        deployer=deployer,
        functions={name: sessions[name] for name in of_functions},
        job_roles={name: sessions[name] for name in of_jobs},
        parameters=dict(stack.parameters),
    )


def _queues(stack: LocalStack, endpoint_url: str) -> LocalStack:
    """Dead-letter queues first: a source queue's redrive policy names its DLQ's ARN."""
    sqs = client("sqs", endpoint_url, stack.region, BOOTSTRAP)
    queues = resources_of_type(stack.template, "AWS::SQS::Queue")
    pending = dict(queues)
    while pending:
        ready = {n: p for n, p in pending.items() if stack.try_resolve(p) is not None}
        if not ready:
            raise TemplateError(f"queues whose dead-letter queue is unknown: {sorted(pending)}")
        for name, properties in ready.items():
            attributes = _queue_attributes(stack.resolve(properties))
            queue_name = f"{stack.stack_name}-{name}"
            url = sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            stack = stack.with_resource(
                name, url, Arn=arn["Attributes"]["QueueArn"], QueueName=queue_name
            )
            del pending[name]
    return stack


def _queue_attributes(properties: dict[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {
        name: str(properties[name])
        for name in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
        if name in properties
    }
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    return attributes


def _secrets(stack: LocalStack, endpoint_url: str, database: DatabaseLogin) -> LocalStack:
    """Each secret with a value generated as its GenerateSecretString asks; the RDS-managed
    master secret holds the local server's admin login."""
    manager = client("secretsmanager", endpoint_url, stack.region, BOOTSTRAP)
    for name, properties in resources_of_type(
        stack.template, "AWS::SecretsManager::Secret"
    ).items():
        value = _generated_secret(properties.get("GenerateSecretString") or {})
        arn = manager.create_secret(Name=f"{stack.stack_name}-{name}", SecretString=value)["ARN"]
        stack = stack.with_resource(name, arn)
    for name, properties in resources_of_type(stack.template, "AWS::RDS::DBInstance").items():
        if properties.get("ManageMasterUserPassword"):
            login = {"username": database.username, "password": database.password}
            arn = manager.create_secret(
                Name=f"rds!{stack.stack_name}-{name}", SecretString=json.dumps(login)
            )["ARN"]
            stack = stack.with_resource(
                name,
                f"{stack.stack_name}-{name}",
                **{
                    "MasterUserSecret.SecretArn": arn,
                    "Endpoint.Address": database.host,
                    "Endpoint.Port": str(database.port),
                },
            )
    return stack


def _generated_secret(spec: dict[str, Any]) -> str:
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    document = json.loads(spec.get("SecretStringTemplate") or "{}")
    key = spec.get("GenerateStringKey")
    return json.dumps({**document, key: password}) if key else password


def _database(stack: LocalStack, database: DatabaseLogin) -> LocalStack:
    """RDS Proxy's endpoint is the local server's host (the port is the server's own)."""
    for name in resources_of_type(stack.template, "AWS::RDS::DBProxy"):
        stack = stack.with_resource(name, f"{stack.stack_name}-{name}", Endpoint=database.host)
    return stack


def _bucket(stack: LocalStack, endpoint_url: str) -> LocalStack:
    s3 = client("s3", endpoint_url, stack.region, BOOTSTRAP)
    for name, raw in resources_of_type(stack.template, "AWS::S3::Bucket").items():
        properties = stack.resolve(raw)
        bucket = properties["BucketName"]
        s3.create_bucket(Bucket=bucket)
        versioning = (properties.get("VersioningConfiguration") or {}).get("Status")
        if versioning:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning})
        notifications = (properties.get("NotificationConfiguration") or {}).get(
            "QueueConfigurations"
        ) or []
        if notifications:
            s3.put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration={
                    "QueueConfigurations": [_queue_notification(n) for n in notifications]
                },
            )
        stack = stack.with_resource(name, bucket, Arn=f"arn:aws:s3:::{bucket}")
    return stack


def _queue_notification(notification: dict[str, Any]) -> dict[str, Any]:
    """A notification as CloudFormation spells it (S3Key.Rules) to the S3 API (Key.FilterRules)."""
    rules = ((notification.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    found: dict[str, Any] = {"QueueArn": notification["Queue"], "Events": [notification["Event"]]}
    if rules:
        found["Filter"] = {
            "Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}
        }
    return found


def _emr_serverless(stack: LocalStack, endpoint_url: str) -> LocalStack:
    """Each EMR Serverless application, its id its `Ref` (and `ApplicationId`)."""
    emr = client("emr-serverless", endpoint_url, stack.region, BOOTSTRAP)
    for name, raw in resources_of_type(stack.template, "AWS::EMRServerless::Application").items():
        properties = stack.resolve(raw)
        created = emr.create_application(
            name=properties.get("Name", name),
            releaseLabel=properties["ReleaseLabel"],
            type=properties["Type"].upper(),
            clientToken=name,
            architecture=properties.get("Architecture", "X86_64"),
            **{
                api_name: _api_names(properties[cfn_name])
                for cfn_name, api_name in _APPLICATION_SETTINGS.items()
                if cfn_name in properties
            },
        )
        application_id = created["applicationId"]
        stack = stack.with_resource(
            name, application_id, Arn=created["arn"], ApplicationId=application_id
        )
    return stack


_APPLICATION_SETTINGS = {
    "AutoStartConfiguration": "autoStartConfiguration",
    "AutoStopConfiguration": "autoStopConfiguration",
    "MaximumCapacity": "maximumCapacity",
}
"""The application's properties the local stack passes on, by their names in the API."""


def _api_names(properties: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's names (`IdleTimeoutMinutes`) as the API's (`idleTimeoutMinutes`)."""
    return {name[0].lower() + name[1:]: value for name, value in properties.items()}


def _roles(stack: LocalStack) -> LocalStack:
    """The template's own roles by name and ARN, as the local stack creates them, so that
    policies and variables naming them (TrainFunction's SparkJobRole) resolve."""
    for name in resources_of_type(stack.template, "AWS::IAM::Role"):
        arn = role_arn(stack, name)
        stack = stack.with_resource(name, arn.rsplit("/", 1)[1], Arn=arn)
    return stack


def _functions(stack: LocalStack) -> LocalStack:
    """Functions and the API are named by the stack, as CloudFormation names them."""
    for name in resources_of_type(stack.template, "AWS::Serverless::Function"):
        function_name = f"{stack.stack_name}-{name}"
        arn = f"arn:aws:lambda:{stack.region}:{stack.account_id}:function:{function_name}"
        stack = stack.with_resource(name, function_name, Arn=arn)
    for name in resources_of_type(stack.template, "AWS::Serverless::HttpApi"):
        stack = stack.with_resource(name, "local")
    return stack
