"""ETL benchmark: raw CSVs in (moto) S3 to the loaded catalog and the ratings Parquet, ours
against two baselines doing the same job, every pipeline measured whole in the same run.

- `ours`: the ETL Lambda handler on one SQS batch announcing every file, from `sam build`'s
  package (`make build-host`) in an interpreter that imports only the function's code, its
  layers and the runtime's SDK (local/snapstart.py): the development venv has pandas, which
  pyarrow would import. Then training, in a process of its own.
- `seed` and `duckdb`: bench/etl_baselines.

Every run of every pipeline is a fresh child process (its peak RSS is its own VmHWM) on a fresh
database and bucket holding the same raw files, runs interleaved; the seconds are the job's,
imports excluded. Each run's outputs (catalog tables as sorted rows, each Parquet as a multiset
of rows with its schema) must equal the first run's, or the benchmark stops.
"""

import importlib
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

from bench.etl_baselines.outputs import (
    Digests,
    OutputsDifferError,
    catalog_digests,
    differences,
    parquet_digests,
)
from bench.harness import (
    REPO,
    arguments,
    data_files,
    run_json,
    spread,
    summed,
    write_json,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

PIPELINES = ("ours", "seed", "duckdb")
SOURCES = (REPO / "etl" / "load" / "streamcat_etl", REPO / "layers" / "common" / "streamcat")


def count_rows(path: Path) -> int:
    """Data lines of a CSV (the header not counted)."""
    lines = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 24):
            lines += chunk.count(b"\n")
    return lines - 1


def child_train(key: str) -> dict[str, Any]:
    """In a child process: the training handler on the ETL's training manifest."""
    from local.lambda_context import LocalLambdaContext
    from local.notifications import Upload, s3_record
    from streamcat.memory import peak_rss_mb
    from streamcat.settings import get_settings
    from streamcat_train.handler import lambda_handler

    began = time.perf_counter()
    record = s3_record(Upload(key, "", "01"), get_settings().data_bucket)
    context: Any = LocalLambdaContext("train")  # duck-types the runtime's context
    lambda_handler({"Records": [record]}, context)
    return {"train_s": time.perf_counter() - began, "train_peak_rss_mb": peak_rss_mb()}


def child_baseline(name: str) -> dict[str, Any]:
    """In a child process: a baseline's `run`, its module and the S3 client made before the
    clock starts, as ours' are."""
    started = time.perf_counter()
    module = importlib.import_module(f"bench.etl_baselines.{name}")
    from streamcat.memory import peak_rss_mb
    from streamcat.settings import get_settings
    from streamcat.storage import s3_client

    settings, s3 = get_settings(), s3_client()
    imported = time.perf_counter()
    result: dict[str, Any] = module.run(
        s3,
        settings.data_bucket,
        os.environ["DATABASE_URL"],
        raw_prefix=settings.raw_prefix,
        curated_prefix=settings.curated_prefix,
    )
    seconds = time.perf_counter() - imported
    return {
        "import_s": imported - started,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
    } | result


def built_etl(runtime: Path) -> tuple[str, list[Path]]:
    """The ETL function's handler and import paths as `sam build` packaged it, `runtime` made
    its /var/runtime. A build older than the sources would measure other code: refused."""
    from bench.snapstart import BUILD_DIR
    from local.package_sizes import built_functions, runtime_stand_in

    function = {f.logical_id: f for f in built_functions(BUILD_DIR)}["EtlFunction"]
    for package in SOURCES:
        copies = [path / package.name for path in function.import_paths]
        built = next((copy for copy in copies if copy.is_dir()), copies[0])
        for source in (
            s for s in package.rglob("*") if s.is_file() and "__pycache__" not in s.parts
        ):
            copy = built / source.relative_to(package)
            if not copy.is_file() or copy.read_bytes() != source.read_bytes():
                raise RuntimeError(f"{BUILD_DIR} is older than {source}: run `make build-host`")
    return function.handler, [*function.import_paths, runtime_stand_in(runtime)]


def run_child(mode: str, env: dict[str, str], *extra: str) -> dict[str, Any]:
    return run_json([sys.executable, "-m", "bench.etl", "--child", mode, *extra], mode, env=env)


def run_ours(built: tuple[str, list[Path]], env: dict[str, str], s3: "S3Client") -> dict[str, Any]:
    """The built ETL function invoked on an SQS batch announcing every raw file, in a process
    of its own, then training on its output in another."""
    from bench.snapstart import run_harness
    from local.notifications import Upload, sqs_event

    bucket = env["DATA_BUCKET"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="raw/")["Contents"]
    uploads = [
        Upload(o["Key"], o["ETag"].strip('"'), f"{i + 1:018X}") for i, o in enumerate(listed)
    ]
    with tempfile.TemporaryDirectory(prefix="bench-etl-") as scratch:
        event = Path(scratch) / "event.json"
        event.write_text(json.dumps(sqs_event(bucket, *uploads)))
        invoked = run_harness("invoke", built[1], event, env, "--handler", built[0])
    load_id = invoked["result"]["load_id"]
    report_object = s3.get_object(Bucket=bucket, Key=f"reports/loads/{load_id}.json")
    report = json.loads(report_object["Body"].read())
    ours = {
        **{k: invoked[k] for k in ("import_s", "seconds", "cpu_s", "peak_rss_mb")},
        "catalog_version": invoked["result"]["catalog_version"],
        "steps_s": report["timings_s"],
        # The ratings files' own work (done by workers beside the steps), summed per part.
        "file_work_s": summed((file.get("seconds", {}) for file in report["files"]), 4),
        "totals": report["totals"],
        "interactions_key": report["interactions_key"],
    }
    try:
        ours |= run_child("train", env, ours["interactions_key"])
    except RuntimeError as error:
        ours["train_error"] = str(error)[-500:]
    return ours


@contextmanager
def fresh_target(
    admin_url: str,
    s3: "S3Client",
    base_env: dict[str, str],
    label: str,
    uploads: list[tuple[Path, str]],
) -> Iterator[dict[str, str]]:
    """A new database and a new bucket holding the raw files; both gone afterwards."""
    from local.postgres import fresh_database

    bucket = f"bench-etl-{label}-{uuid.uuid4().hex[:8]}"
    with fresh_database(admin_url, f"bench_etl_{label.replace('-', '_')}") as url:
        s3.create_bucket(Bucket=bucket)
        try:
            for path, key in uploads:
                s3.upload_file(str(path), bucket, key)
            yield {**base_env, "DATABASE_URL": url, "DATA_BUCKET": bucket}
        finally:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                keys: list[ObjectIdentifierTypeDef] = [
                    {"Key": o["Key"]} for o in page.get("Contents", [])
                ]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
            s3.delete_bucket(Bucket=bucket)


def summarise(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """`cpu_s` is the ETL process's alone; `init_s` is Lambda's init (imports, the S3 client)."""
    trained = [r for r in runs if "train_s" in r]

    def over(key: str) -> dict[str, Any]:
        values = [r[key] for r in (trained if key.startswith("train") else runs)]
        return spread(values, "median", "min", "max") | {"runs": values}

    steps = {step: median(r["steps_s"].get(step, 0.0) for r in runs) for step in runs[0]["steps_s"]}
    found: dict[str, Any] = {"seconds": over("seconds"), "peak_rss_mb": over("peak_rss_mb")}
    found |= {"steps_s": steps, "runs": runs}
    if name == "ours":
        found |= {"cpu_s": over("cpu_s"), "init_s": over("import_s")}
        if trained:
            found |= {"train_s": over("train_s"), "train_peak_rss_mb": over("train_peak_rss_mb")}
    return found


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:  # one run of a pipeline or of training (`run_child`)
        mode, *key = argv[1:]
        print(json.dumps(child_train(*key) if mode == "train" else child_baseline(mode)))
        return 0
    args = arguments("etl", __doc__, argv, ratings=11_000_000, runs=3)
    data = data_files(args.ratings, 8)
    rows = sum(count_rows(path) for path in data.ratings)
    from streamcat.s3_layout import S3Layout
    from streamcat.settings import get_settings

    uploads = data.uploads(S3Layout.of(get_settings()))
    scratch = tempfile.TemporaryDirectory(prefix="bench-etl-runtime-")
    built = built_etl(Path(scratch.name))
    import boto3
    from moto.server import ThreadedMotoServer

    from bench import budgets
    from local.postgres import ensure_server
    from local.s3 import local_environment

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    admin_url = os.environ.get("DATABASE_URL") or ensure_server()
    base_env = {
        **os.environ,
        **local_environment(f"http://{host}:{port}", "", "us-east-1"),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    os.environ.update({k: v for k, v in base_env.items() if k.startswith("AWS_")})
    s3 = boto3.client("s3")
    measured: dict[str, list[dict[str, Any]]] = {name: [] for name in PIPELINES}
    reference: Digests | None = None
    result: dict[str, Any] = {
        "ratings": args.ratings,
        "fraction": 1.0,
        "ratings_rows": rows,
        "runs": args.runs,
        "cores": os.cpu_count(),
        "budget": {
            "seconds": budgets.ETL_SECONDS,
            "peak_rss_mb": budgets.ETL_PEAK_RSS_MB,
            "train_s": budgets.TRAIN_SECONDS,
        },
        "reference": PIPELINES[0],
    }
    try:
        for run in range(args.runs):
            for name in PIPELINES:
                with fresh_target(admin_url, s3, base_env, f"{name}-{run + 1}", uploads) as env:
                    found = run_ours(built, env, s3) if name == "ours" else run_child(name, env)
                    catalog = catalog_digests(env["DATABASE_URL"]).items()
                    digests = {f"catalog.{k}": v for k, v in catalog}
                    digests |= parquet_digests(s3, env["DATA_BUCKET"])
                measured[name].append(found)
                if reference is None:
                    reference = digests
                elif problems := differences(reference, digests):
                    result["outputs_equal"] = False
                    result["differences"] = {name: problems}
                    raise OutputsDifferError(
                        f"{name} (run {run + 1}) produced other outputs than"
                        f" {PIPELINES[0]}:\n" + "\n".join(problems)
                    )
        result["outputs_equal"] = True
        result["output_digests"] = reference
        assert reference is not None
        result["titles_rows"] = int(reference["catalog.titles"].split()[0])
    finally:
        server.stop()
        scratch.cleanup()
        result["pipelines"] = {
            name: summarise(name, runs) for name, runs in measured.items() if runs
        }
        write_json(args.out, result)  # what differed, too, when the benchmark stops
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
