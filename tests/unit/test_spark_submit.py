"""The local runner of EMR Serverless job drivers takes only what EMR would run from S3:
s3://bucket/key URIs for the script and every input, `--conf` pairs, one output; nothing that
names a file of this machine or climbs out of the staging folder. No Spark runs here (a real
job: tests/integration/test_spark_training.py)."""

import importlib.metadata
from pathlib import Path
from typing import Any

import pytest

from local.spark_submit import (
    EMR_SPARK_VERSION,
    JobDriverError,
    S3Location,
    log_tail,
    run_job,
    spark_submit_command,
    submitted_job,
)

SCRIPT = "s3://jobs/spark/train_job.py"


def _driver(*arguments: str, parameters: str = "", entry: str = SCRIPT) -> dict[str, Any]:
    return {
        "sparkSubmit": {
            "entryPoint": entry,
            "entryPointArguments": list(arguments),
            "sparkSubmitParameters": parameters,
        }
    }


def test_inputs_outputs_and_plain_values_are_told_apart() -> None:
    job = submitted_job(
        _driver(
            *("--ratings", "s3://data/curated/ratings/source=1/part-0.parquet"),
            *("--titles", "s3://data/spark/v2/titles.jsonl"),
            *("--output", "s3://data/spark/v2/output/", "--dims", "40"),
            parameters="--conf spark.executor.memory=4g --conf spark.executor.cores=2",
        )
    )

    assert job.entry_point == S3Location("jobs", "spark/train_job.py")
    assert job.inputs == [
        S3Location("jobs", "spark/train_job.py"),
        S3Location("data", "curated/ratings/source=1/part-0.parquet"),
        S3Location("data", "spark/v2/titles.jsonl"),
    ]
    assert job.output == S3Location("data", "spark/v2/output/")
    assert job.arguments[-2:] == ["--dims", "40"]
    assert job.conf == ["spark.executor.memory=4g", "spark.executor.cores=2"]


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.com/x.parquet",
        "file:///etc/passwd",
        "/etc/passwd",
        "~/secrets.json",
        "s3a://data/x.parquet",
        "s3://data/../other/x.parquet",
        "s3://data/curated/../../x",
        "s3://data//etc/passwd",
        "s3://data/./x",
        "s3://data",
        "s3://data/",
        "s3://No_Such_Bucket/x",
        "s3://data/curated/ratings/",
    ],
)
def test_an_input_that_is_not_a_plain_s3_object_is_refused(uri: str) -> None:
    with pytest.raises(JobDriverError, match=r"s3://|bucket name|relative path|not a prefix"):
        submitted_job(_driver("--titles", uri, "--output", "s3://data/out/"))


@pytest.mark.parametrize("entry", ["/work/train_job.py", "s3://jobs/../train_job.py", ""])
def test_an_entry_point_that_is_not_a_plain_s3_location_is_refused(entry: str) -> None:
    with pytest.raises(JobDriverError):
        submitted_job(_driver("--output", "s3://data/out/", entry=entry))


@pytest.mark.parametrize(
    "arguments",
    [
        ("--titles", "s3://data/t.jsonl"),
        ("--output", "s3://data/a/", "--output", "s3://data/b/"),
        ("--titles", "s3://data/t.jsonl", "--output"),
        ("--output", "/tmp/out"),
    ],
)
def test_exactly_one_s3_output_is_required(arguments: tuple[str, ...]) -> None:
    with pytest.raises(JobDriverError):
        submitted_job(_driver(*arguments))


@pytest.mark.parametrize(
    "parameters",
    [
        "--jars s3://jobs/extra.jar",
        "--packages org.apache.hadoop:hadoop-aws:3.3.4",
        "--conf",
        "--conf spark.executor.memory",
        "--py-files s3://jobs/deps.zip --conf a=b",
    ],
)
def test_submit_parameters_other_than_conf_pairs_are_refused(parameters: str) -> None:
    with pytest.raises(JobDriverError, match="only --conf key=value"):
        submitted_job(_driver("--output", "s3://data/out/", parameters=parameters))


@pytest.mark.parametrize(
    "driver",
    [
        {},
        {"sparkSubmit": {"entryPoint": 3}},
        {"sparkSubmit": {"entryPoint": SCRIPT, "entryPointArguments": "--output s3://d/o"}},
        {"sparkSubmit": {"entryPoint": SCRIPT, "entryPointArguments": ["--output", 4]}},
    ],
)
def test_a_driver_of_the_wrong_shape_is_refused(driver: dict[str, Any]) -> None:
    with pytest.raises(JobDriverError):
        submitted_job(driver)


def test_a_location_stages_below_its_bucket_folder() -> None:
    location = S3Location.parse("s3://data/curated/ratings/source=1/part-0.parquet")

    assert Path("/stage").joinpath(*location.local_parts) == Path(
        "/stage/data/curated/ratings/source=1/part-0.parquet"
    )


def test_spark_submit_gets_local_mode_memory_and_conf_before_the_script(tmp_path: Path) -> None:
    conf = ["spark.driver.memory=14g", "spark.executor.cores=4", "spark.sql.shuffle.partitions=8"]
    command = spark_submit_command(tmp_path / "job.py", ["--dims", "40"], conf, tmp_path, "3g")

    script = command.index(str(tmp_path / "job.py"))
    options = command[1:script]
    assert command[0].endswith("/bin/spark-submit")
    assert options[:4] == ["--master", "local[*]", "--driver-memory", "3g"]
    assert options[4:6] == ["--conf", "spark.sql.shuffle.partitions=8"]
    assert not any(o.startswith(("spark.driver.memory", "spark.executor.")) for o in options)
    assert f"spark.local.dir={tmp_path / 'spark-local'}" in options
    assert command[script + 1 :] == ["--dims", "40"]


def test_a_work_directory_in_use_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "left-over").write_text("x")

    with pytest.raises(JobDriverError, match="must be empty"):
        run_job(_driver("--output", "s3://data/out/"), None, tmp_path, "1g")  # type: ignore[arg-type]


@pytest.mark.parametrize("memory", ["", "4 g", "4g; rm -rf /", "-1g", "0"])
def test_a_driver_memory_that_is_no_size_is_refused(tmp_path: Path, memory: str) -> None:
    with pytest.raises(JobDriverError, match="not a size"):
        run_job(_driver("--output", "s3://data/out/"), None, tmp_path, memory)  # type: ignore[arg-type]


def test_the_log_tail_is_the_end_of_a_long_log(tmp_path: Path) -> None:
    log = tmp_path / "spark-submit.log"
    log.write_text("".join(f"line {n}\n" for n in range(100_000)))

    assert log_tail(log, 3).splitlines() == ["line 99997", "line 99998", "line 99999"]


def test_the_log_tail_leaves_out_java_stack_frames(tmp_path: Path) -> None:
    log = tmp_path / "spark-submit.log"
    log.write_text(
        "py4j.protocol.Py4JJavaError: An error occurred\n"
        "\tat org.apache.spark.Job.run(Job.scala:1)\n"
        "Caused by: JsonParseException: Unrecognized token 'not'\n"
        "\tat com.fasterxml.Parser.next(Parser.java:2)\n"
        "\t... 29 more\n"
    )

    assert log_tail(log).splitlines() == [
        "py4j.protocol.Py4JJavaError: An error occurred",
        "Caused by: JsonParseException: Unrecognized token 'not'",
    ]


def test_the_local_spark_is_the_emr_releases() -> None:
    assert importlib.metadata.version("pyspark") == EMR_SPARK_VERSION
