"""template.yaml's operations: queues that fail fast and keep their failures, an alarm on every
part (all telling AlertTopic), a dashboard, JSON logs with one level, and a prod stack that cannot
be deployed without someone to alert. Nothing here runs locally, so only these checks catch it."""

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from local.functions import function_names
from local.template import load_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(REPO / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = function_names(TEMPLATE)
ALERT_TOPIC = [{"Ref": "AlertTopic"}]
# A failing message must reach its dead-letter queue (and so an alarm) within this.
MAX_SECONDS_TO_DEAD_LETTER = 3 * 3600
SQS_DEFAULT_RETENTION = 345600


def _of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r.get("Properties") or {} for name, r in RESOURCES.items() if r["Type"] == kind}


ALARMS = _of_type("AWS::CloudWatch::Alarm")
MAPPINGS = {
    p["FunctionName"]["Ref"]: p for p in _of_type("AWS::Lambda::EventSourceMapping").values()
}
SOURCE_QUEUES = {name: p for name, p in _of_type("AWS::SQS::Queue").items() if "RedrivePolicy" in p}


def _timeout(function: str) -> int:
    properties = RESOURCES[function]["Properties"]
    return int(properties.get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]))


def _queue_of(function: str) -> str:
    queue: str = MAPPINGS[function]["EventSourceArn"]["Fn::GetAtt"][0]
    return queue


def _alarms_on(namespace: str, metric: str, dimension: str, value: Any) -> list[dict[str, Any]]:
    """Alarms on one metric, whether watched directly or inside a metric-math expression."""
    found = []
    for alarm in ALARMS.values():
        watched = [alarm] + [
            m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m
        ]
        for metric_of in watched:
            if (
                metric_of.get("Namespace") == namespace
                and metric_of.get("MetricName") == metric
                and {"Name": dimension, "Value": value} in metric_of.get("Dimensions", [])
            ):
                found.append(alarm)
    return found


# ---------------------------------------------------------------- queues


@pytest.mark.parametrize("queue", sorted(SOURCE_QUEUES))
def test_dead_letter_queues_outlive_their_sources(queue: str) -> None:
    """SQS keeps a message's first enqueue time when it moves it to the dead-letter queue: with
    equal retention periods a dead-lettered message would expire almost at once."""
    source = SOURCE_QUEUES[queue]
    dead_letter = source["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    kept = RESOURCES[dead_letter]["Properties"].get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION)
    assert kept > source.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION)
    assert kept == 1209600, "the dead-letter queue keeps messages as long as SQS allows"


@pytest.mark.parametrize("function", sorted(MAPPINGS))
def test_queue_timeouts_match_their_consumer(function: str) -> None:
    """Visibility at least 6x the function's timeout (AWS's advice for Lambda consumers, which
    retry throttled batches), and a failing message dead-lettered within a few hours."""
    queue = SOURCE_QUEUES[_queue_of(function)]
    visibility = queue["VisibilityTimeout"]
    assert visibility >= 6 * _timeout(function)
    receives = queue["RedrivePolicy"]["maxReceiveCount"]
    assert receives * visibility <= MAX_SECONDS_TO_DEAD_LETTER


@pytest.mark.parametrize("function", ["EtlFunction", "TrainFunction"])
def test_background_functions_time_out_in_minutes(function: str) -> None:
    """A load takes about 10 s and a training about 6 s at full scale; 15 minutes would only
    delay a hung run's retry."""
    assert _timeout(function) == 300


@pytest.mark.parametrize("function", sorted(MAPPINGS))
def test_every_event_source_mapping_reports_batch_item_failures(function: str) -> None:
    """The handlers answer batchItemFailures: without this setting Lambda ignores it and a batch
    with one bad record is retried whole, or deleted whole when the handler returns."""
    assert MAPPINGS[function]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


# ---------------------------------------------------------------- alarms


def test_every_alarm_notifies_the_alert_topic() -> None:
    assert len(ALARMS) > 2
    for name, alarm in ALARMS.items():
        assert alarm["AlarmActions"] == ALERT_TOPIC, name
        assert alarm["OKActions"] == ALERT_TOPIC, name
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert alarm["AlarmDescription"], name
        assert "AlarmName" not in alarm, f"{name}: a fixed name collides between stacks"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_alarms_on_errors_throttles_and_duration(function: str) -> None:
    reference = {"Ref": function}
    for metric in ("Errors", "Throttles"):
        (alarm,) = _alarms_on("AWS/Lambda", metric, "FunctionName", reference)
        assert alarm["Statistic"] == "Sum"
        assert alarm["Threshold"] == 0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    (duration,) = _alarms_on("AWS/Lambda", "Duration", "FunctionName", reference)
    assert duration["ExtendedStatistic"] == "p99"
    timeout_ms = _timeout(function) * 1000
    assert 0.5 * timeout_ms <= duration["Threshold"] <= 0.9 * timeout_ms
    assert duration["ComparisonOperator"] == "GreaterThanThreshold"


def test_the_api_alarms_on_faults_and_latency() -> None:
    api = {"Ref": "HttpApi"}
    (faults,) = _alarms_on("AWS/ApiGateway", "5xx", "ApiId", api)
    assert faults is ALARMS["ApiFaultsAlarm"]
    (latency,) = _alarms_on("AWS/ApiGateway", "Latency", "ApiId", api)
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] < 29000, "below the HTTP API's integration timeout"


def test_the_fault_alarm_leaves_out_the_not_ready_answers_the_handler_logs() -> None:
    """A fresh stack answers 503 until its first load and model, by design: the alarm counts
    the API's 5xx less the answers the handler logs as not_ready (streamcat.api.handler)."""
    metrics = {m["Id"]: m for m in ALARMS["ApiFaultsAlarm"]["Metrics"]}
    (returned,) = [m for m in metrics.values() if m["ReturnData"]]
    assert returned["Expression"] == "FILL(answers5xx, 0) - FILL(notReady, 0)"
    assert all(m["MetricStat"]["Stat"] == "Sum" for i, m in metrics.items() if i != returned["Id"])
    not_ready = metrics["notReady"]["MetricStat"]["Metric"]
    (transformation,) = RESOURCES["NotReadyAnswersMetricFilter"]["Properties"][
        "MetricTransformations"
    ]
    assert (not_ready["Namespace"], not_ready["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    metric_filter = RESOURCES["NotReadyAnswersMetricFilter"]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "FunctionLogGroup"}
    assert metric_filter["FilterPattern"] == '{ $.message = "answered" && $.not_ready IS TRUE }'
    assert TEMPLATE["Globals"]["Function"]["LoggingConfig"]["LogGroup"] == {
        "Ref": "FunctionLogGroup"
    }


@pytest.mark.parametrize("function", sorted(MAPPINGS))
def test_every_source_queue_alarms_on_its_oldest_message(function: str) -> None:
    """Fires when a message is older than its first retry (so one transient failure stays quiet)
    and before it reaches the dead-letter queue (or when nobody polls)."""
    queue = _queue_of(function)
    name = {"Fn::GetAtt": [queue, "QueueName"]}
    (alarm,) = _alarms_on("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", name)
    visibility = SOURCE_QUEUES[queue]["VisibilityTimeout"]
    receives = SOURCE_QUEUES[queue]["RedrivePolicy"]["maxReceiveCount"]
    assert visibility <= alarm["Threshold"] < receives * visibility


@pytest.mark.parametrize("queue", sorted(SOURCE_QUEUES))
def test_every_dead_letter_queue_alarms_on_its_first_message(queue: str) -> None:
    dead_letter = SOURCE_QUEUES[queue]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    name = {"Fn::GetAtt": [dead_letter, "QueueName"]}
    (alarm,) = _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name)
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("metric", ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections"])
def test_the_database_alarms(metric: str) -> None:
    assert _alarms_on("AWS/RDS", metric, "DBInstanceIdentifier", {"Ref": "Database"}), metric


def test_the_database_alarms_on_low_storage_not_high() -> None:
    database = {"Ref": "Database"}
    (alarm,) = _alarms_on("AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", database)
    assert alarm["ComparisonOperator"] == "LessThanThreshold"


PROXY_METRICS = [
    "DatabaseConnectionsBorrowLatency",
    "DatabaseConnectionsSetupFailed",
    "MaxDatabaseConnectionsAllowed",
]


@pytest.mark.parametrize("metric", PROXY_METRICS)
def test_the_proxy_alarms(metric: str) -> None:
    """RDS Proxy's metrics are in AWS/RDS under the ProxyName dimension."""
    assert _alarms_on("AWS/RDS", metric, "ProxyName", {"Ref": "DatabaseProxy"}), metric


# ---------------------------------------------------------------- dashboard


def test_the_dashboard_shows_api_functions_queues_database_and_proxy() -> None:
    (dashboard,) = _of_type("AWS::CloudWatch::Dashboard").values()
    assert "DashboardName" not in dashboard, "a fixed name collides between stacks"
    body = dashboard["DashboardBody"]["Fn::Sub"]
    document = json.loads(body)  # valid JSON once CloudFormation substitutes ${...}
    assert document["widgets"]
    shown = {"HttpApi", "Database", "DatabaseProxy", *FUNCTIONS}
    shown |= {f"{q}.QueueName" for q in SOURCE_QUEUES}
    for name in shown:
        assert "${" + name + "}" in body, name
    for name in ALARMS:
        assert "${" + name + ".Arn}" in body, f"{name} missing from the alarms widget"


# ---------------------------------------------------------------- alert e-mail and logs


def _evaluate(value: Any, parameters: dict[str, Any]) -> Any:
    """A rule's intrinsics (Ref, Fn::Equals, Fn::Not, Fn::Contains) for given parameters; a
    CommaDelimitedList parameter is a list, as CloudFormation hands it to rules."""
    if not isinstance(value, dict):
        return value
    ((function, argument),) = value.items()
    if function == "Ref":
        declared = TEMPLATE["Parameters"][argument]
        given = str(parameters.get(argument, declared.get("Default", "")))
        return given.split(",") if declared["Type"] == "CommaDelimitedList" else given
    arguments = [_evaluate(item, parameters) for item in argument]
    if function == "Fn::Equals":
        return arguments[0] == arguments[1]
    if function == "Fn::Not":
        return not arguments[0]
    if function == "Fn::Contains":
        return arguments[1] in arguments[0]
    raise AssertionError(f"no evaluator for {function}")


def _refusals(**parameters: str) -> list[str]:
    """The rules CloudFormation would refuse a stack with these parameters by."""
    return sorted(
        name
        for name, rule in TEMPLATE["Rules"].items()
        if _evaluate(rule.get("RuleCondition", True), parameters)
        and not all(_evaluate(a["Assert"], parameters) for a in rule["Assertions"])
    )


def test_a_dev_stack_deploys_with_the_defaults() -> None:
    assert _refusals() == []


def test_a_prod_stack_needs_an_alert_email_and_its_cors_origins() -> None:
    sites = {"CorsAllowOrigins": "https://streamcat.example"}

    assert _refusals(Stage="prod", **sites) == ["ProdAlertsReachSomeone"]
    assert _refusals(Stage="prod", AlertEmail="ops@example.com") == ["ProdCorsNamesItsOrigins"]
    assert _refusals(Stage="prod", AlertEmail="ops@example.com", **sites) == []
    assert _refusals(Stage="prod", AlertEmail="a@b.c", CorsAllowOrigins="https://a.b,*") == [
        "ProdCorsNamesItsOrigins"
    ]


def test_logs_are_json_at_the_level_of_one_parameter() -> None:
    globals_ = TEMPLATE["Globals"]["Function"]
    logging_config = globals_["LoggingConfig"]
    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["ApplicationLogLevel"] == {"Ref": "LogLevel"}
    assert logging_config["SystemLogLevel"] == "WARN"
    parameter = TEMPLATE["Parameters"]["LogLevel"]
    assert parameter["AllowedValues"] == ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
    assert parameter["Default"] == "INFO"
    for name, resource in RESOURCES.items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "LoggingConfig" not in resource["Properties"], name


def test_powertools_gets_the_same_level_in_a_name_python_knows() -> None:
    """Powertools compares POWERTOOLS_LOG_LEVEL with AWS_LAMBDA_LOG_LEVEL by logging's numbers:
    a name logging does not know (TRACE) breaks every handler at import."""
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    lookup = variables["POWERTOOLS_LOG_LEVEL"]["Fn::FindInMap"]
    assert lookup[1:] == [{"Ref": "LogLevel"}, "Name"]
    mapping = TEMPLATE["Mappings"][lookup[0]]
    lambda_levels = TEMPLATE["Parameters"]["LogLevel"]["AllowedValues"]
    assert set(mapping) == set(lambda_levels)
    numbers = {level: logging.getLevelName(mapping[level]["Name"]) for level in lambda_levels}
    assert all(isinstance(number, int) for number in numbers.values()), numbers
    assert [numbers[level] for level in lambda_levels] == sorted(numbers.values())


def test_the_dashboard_url_is_the_console_of_the_stacks_partition() -> None:
    value = TEMPLATE["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert "amazon.com" not in value[0]
    assert value[1]["Console"] == {
        "Fn::FindInMap": ["ConsoleDomain", {"Ref": "AWS::Partition"}, "Name"]
    }
    assert set(TEMPLATE["Mappings"]["ConsoleDomain"]) == {"aws", "aws-cn", "aws-us-gov"}


def test_a_prod_database_exports_its_logs_and_has_performance_insights() -> None:
    database = RESOURCES["Database"]["Properties"]
    assert database["EnableCloudwatchLogsExports"]["Fn::If"][:2] == [
        "IsProd",
        ["postgresql", "upgrade"],
    ]
    assert database["EnablePerformanceInsights"] == {"Fn::If": ["IsProd", True, False]}


def test_alerts_are_encrypted_with_a_key_cloudwatch_may_publish_with() -> None:
    """An alarm publishing to a topic encrypted with SNS's AWS-managed key fails silently."""
    key = RESOURCES["AlertTopic"]["Properties"]["KmsMasterKeyId"]
    policy = RESOURCES[key["Ref"]]["Properties"]["KeyPolicy"]["Statement"]
    (cloudwatch,) = [s for s in policy if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch["Action"])
    assert RESOURCES[key["Ref"]]["Properties"]["EnableKeyRotation"] is True
