"""The stack under test: `STREAMCAT_E2E_STACK=<name>` (what `make e2e STACK=<name>` sets) names
a deployed one; otherwise the local stack is started for the session, empty, as a user starts
it, on the tests' own PostgreSQL (TLS, logins from its Secrets Manager) with IAM enforced."""

import os
from collections.abc import Iterator

import pytest

from local.postgres import OwnServer, fresh_database
from local.stack_process import running_stack
from tests.e2e.target import Target, deployed_target, local_target
from tests.support.local import stack_environment


@pytest.fixture(scope="session")
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    if stack_name := os.environ.get("STREAMCAT_E2E_STACK"):
        yield deployed_target(stack_name)
        return
    server: OwnServer = request.getfixturevalue("own_server")
    with fresh_database(request.getfixturevalue("admin_url"), "streamcat_e2e") as database:
        environment = stack_environment(database, server.ca_cert_path)
        with running_stack(["--no-upload"], environment, tmp_path_factory.mktemp("stack")) as stack:
            yield local_target(stack.cloud())
