"""What `sam local invoke` needs to run a function of the template against the local stack.

SAM passes a container only the variables the function declares (values from `--env-vars`),
and AWS credentials only from its own session (`--profile`). So, next to its state file, the
stack writes:

- `sam-env.json`: for each function, every declared variable as the stack gives it to its
  own functions (the bucket, the secrets' ARNs, the endpoint, the database's port and CA), with
  the host named as a container reaches it (`host.docker.internal`) and the CA's PEM itself,
  since a container sees none of this machine's files;
- `sam-credentials`: a shared credentials file with a profile per function holding its role's
  keys, so IAM judges each call as it would judge the function's role in AWS;
- on Linux, `docker.sock`: the Docker API socket (local.docker_proxy) through which SAM's
  containers run on the host's network, where the stack listens.

See docs/sam-local-invoke.md.
"""

import configparser
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from local.cloud import LocalCloud
from local.functions import declared_environment, function_names, function_spec
from local.template import REPO

CONTAINER_HOST = "host.docker.internal"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ENDPOINT_VARIABLES = {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}


def sam_files(state: Path) -> tuple[Path, Path]:
    """The env-vars file and the credentials file written beside the state file."""
    return state.with_name("sam-env.json"), state.with_name("sam-credentials")


def docker_socket(state: Path) -> Path:
    """The Docker socket `sam local invoke` is pointed at on Linux (DOCKER_HOST)."""
    return state.with_name("docker.sock")


def container_value(name: str, value: str) -> str:
    """`value` as a function in a container needs it: loopback hosts renamed, the CA inlined."""
    if name == "DB_HOST" and value in LOOPBACK:
        return CONTAINER_HOST
    if name in ENDPOINT_VARIABLES and value:
        parts = urlsplit(value)
        if parts.hostname in LOOPBACK:
            return urlunsplit(parts._replace(netloc=f"{CONTAINER_HOST}:{parts.port}"))
    if name == "DATABASE_URL" and value:
        import psycopg2.extensions

        parsed = psycopg2.extensions.parse_dsn(value)
        if parsed.get("host", "127.0.0.1") in LOOPBACK:
            return psycopg2.extensions.make_dsn(value, host=CONTAINER_HOST)
    if name == "DB_SSL_ROOT_CERT" and value:
        return Path(value).read_text()
    return value


def sam_environment(cloud: LocalCloud, template: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each function's declared variables as the stack sets them, for a container."""
    stack = cloud.stack(template)
    entries: dict[str, dict[str, str]] = {}
    for logical_id in function_names(template):
        spec = function_spec(template, logical_id, REPO)
        values = {
            **declared_environment(spec, stack),
            **{k: v for k, v in cloud.function_overrides.items() if k in spec.environment},
        }
        entries[logical_id] = {name: container_value(name, v) for name, v in values.items()}
    return entries


def write_sam_files(cloud: LocalCloud, template: dict[str, Any], state: Path) -> None:
    """Both files, readable by their owner only (they hold credentials and the stack's ARNs)."""
    env_file, credentials_file = sam_files(state)
    env_file.write_text(json.dumps(sam_environment(cloud, template), indent=2))
    profiles = configparser.ConfigParser()
    for logical_id in function_names(template):
        credentials = cloud.functions[logical_id]
        profiles[logical_id] = {
            name.lower(): value for name, value in credentials.environment().items()
        }
    with credentials_file.open("w") as output:
        profiles.write(output)
    for path in (env_file, credentials_file):
        path.chmod(0o600)


def remove_sam_files(state: Path) -> None:
    for path in sam_files(state):
        path.unlink(missing_ok=True)
