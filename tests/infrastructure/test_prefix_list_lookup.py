"""The custom resource that finds S3's prefix list for the functions' security group: its
inline code, run as CloudFormation runs it, against EC2 on a moto server and a local response
URL standing in for CloudFormation's."""

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from types import ModuleType
from typing import Any, ClassVar

import pytest

from local.iam import BOOTSTRAP, client
from local.s3 import start_moto
from local.template import load_template
from tests.support.http import serving

REGION = "us-east-1"
RESOURCES = load_template()["Resources"]


class _Answers(BaseHTTPRequestHandler):
    """Keeps each PUT body, as CloudFormation's pre-signed response URL would."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture(scope="module")
def response_url() -> Iterator[str]:
    with serving(_Answers) as port:
        yield f"http://127.0.0.1:{port}/response"


@pytest.fixture(scope="module")
def ec2_endpoint() -> Iterator[str]:
    server = start_moto()
    try:
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture
def lookup(ec2_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The function's ZipFile code as a module, its boto3 calls going to moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", ec2_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", BOOTSTRAP.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", BOOTSTRAP.secret_access_key)
    module = ModuleType("index")
    code = RESOURCES["PrefixListLookupFunction"]["Properties"]["Code"]["ZipFile"]
    exec(compile(code, "index.py", "exec"), module.__dict__)
    return module


def _answer(lookup: ModuleType, response_url: str, request: str, name: str) -> dict[str, Any]:
    _Answers.received.clear()
    event = {
        "RequestType": request,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "S3PrefixList",
        "ResourceProperties": {"PrefixListName": name},
    }
    lookup.handler(event, None)
    (answer,) = _Answers.received
    assert (answer["RequestId"], answer["LogicalResourceId"]) == ("r-1", "S3PrefixList")
    return answer


def test_a_create_answers_the_id_of_the_named_prefix_list(
    lookup: ModuleType, response_url: str, ec2_endpoint: str
) -> None:
    name = f"com.amazonaws.{REGION}.s3"
    ec2 = client("ec2", ec2_endpoint, REGION, BOOTSTRAP)
    (expected,) = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [name]}]
    )["PrefixLists"]

    answer = _answer(lookup, response_url, "Create", name)

    assert answer["Status"] == "SUCCESS"
    assert answer["Data"] == {"PrefixListId": expected["PrefixListId"]}
    assert answer["PhysicalResourceId"] == name


def test_an_unknown_name_fails_the_deploy_with_the_reason(
    lookup: ModuleType, response_url: str
) -> None:
    answer = _answer(lookup, response_url, "Update", "com.amazonaws.nowhere.s3")

    assert answer["Status"] == "FAILED"
    assert "no managed prefix list named com.amazonaws.nowhere.s3" in answer["Reason"]


def test_a_delete_succeeds_without_looking_anything_up(
    lookup: ModuleType, response_url: str
) -> None:
    answer = _answer(lookup, response_url, "Delete", "com.amazonaws.nowhere.s3")

    assert answer["Status"] == "SUCCESS"


def test_the_functions_reach_only_the_vpc_and_s3_over_https() -> None:
    egress = RESOURCES["FunctionSecurityGroup"]["Properties"]["SecurityGroupEgress"]

    assert [rule.get("CidrIp") or rule.get("DestinationPrefixListId") for rule in egress] == [
        {"Fn::GetAtt": ["Vpc", "CidrBlock"]},
        {"Fn::GetAtt": ["S3PrefixList", "PrefixListId"]},
    ]
    assert all((rule["FromPort"], rule["ToPort"]) == (443, 443) for rule in egress)
    lookup = RESOURCES["S3PrefixList"]["Properties"]
    assert lookup["PrefixListName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}
    assert RESOURCES["S3GatewayEndpoint"]["Properties"]["ServiceName"] == lookup["PrefixListName"]
