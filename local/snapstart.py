"""A stand-in for a SnapStart snapshot and restore, and a plain invocation of a built function,
for the tests and the benchmarks.

`python -I -S local/snapstart.py --mode cold|restore|invoke --path DIR... --handler app.handler
--event FILE [--children N] [--warm-parent] [--pause]` runs one function in this fresh
interpreter, importing only from the `--path` folders (the build output's code and layers, and
a stand-in for /var/runtime), and prints one JSON line:

- cold: import the handler and answer the event, timed from the end of the harness's argument
  parsing (a cold init without SnapStart: Lambda's init and the first invoke);
- restore: import, run the before-snapshot hooks as Lambda does before it snapshots (in reverse
  order of registration), then fork a child per `--children` (the restores): each runs the
  after-restore hooks in order and answers the event, timed from the fork. With `--pause` it
  prints `snapshot` and waits for a line on stdin before forking, so a caller can change the
  world (rotate a secret, publish a model) while the snapshot sits in the cache; a JSON object
  on that line is environment each child sets before its hooks, as a restore in Lambda brings
  its own (a new credentials endpoint and token).
- invoke: import the handler, then time one invocation alone (bench.etl's run of the ETL
  function as Lambda runs it): its result, `seconds`, `cpu_s`, `import_s` and the peak RSS.

Each HTTP answer reports what the tests check: the status, a draw from `random`, the database
session the request used (its backend pid and user) and, after a restore, the modules the first
request had to import.
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

# Only what a Lambda runtime's bootstrap has imported before it imports the handler comes above:
# the cold init is timed from the end of argument parsing, so the harness's own work is not in it.

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class Context:
    """What Powertools and Mangum read of Lambda's context (local.lambda_context needs PyYAML,
    which a build output does not hold)."""

    function_name = "streamcat-snapstart"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:streamcat"

    def __init__(self) -> None:
        self.aws_request_id = f"{os.getpid()}-{time.time_ns()}"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def run_before_snapshot_hooks() -> None:
    """As the runtime runs them before the snapshot: last registered first."""
    from snapshot_restore_py import get_before_snapshot

    for function, args, kwargs in reversed(get_before_snapshot()):
        function(*args, **kwargs)


def run_after_restore_hooks() -> None:
    """As the runtime runs them after a restore: in order of registration."""
    from snapshot_restore_py import get_after_restore

    for function, args, kwargs in get_after_restore():
        function(*args, **kwargs)


def load_handler(handler_path: str) -> Handler:
    """`app.handler` imported as Lambda imports it."""
    import importlib

    module, _, attribute = handler_path.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module), attribute)
    return handler


def answer(handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
    """One invocation, and what it left behind: the database session it used, a random draw."""
    import random

    response = handler(event, Context())
    answered = time.perf_counter()
    return {
        "answered_at": answered,
        "status": response["statusCode"],
        "body": response.get("body", ""),
        "random": random.random(),  # noqa: S311 (compared across restores, not a secret)
        "session": database_session(),
    }


def invoke(handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
    """The invocation alone, the handler already imported: as Lambda's init is not part of a
    function's duration. `cpu_s`: the process's user and system seconds in it, every thread's."""
    import resource

    from streamcat.memory import peak_rss_mb

    began, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    result = handler(event, Context())
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"result": result, "seconds": seconds, "cpu_s": cpu_s, "peak_rss_mb": peak_rss_mb()}


def database_session() -> dict[str, Any] | None:
    """The backend pid and user of the container's connection, if one is open."""
    from streamcat import db

    connection = db._connection
    if connection is None or connection.closed:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_user")
        row = cursor.fetchone()
    assert row is not None
    return {"pid": row[0], "user": row[1]}


def restore_and_answer(
    handler: Handler, event: dict[str, Any], environment: dict[str, str]
) -> dict[str, Any]:
    """Fork (the restore) and, in the child, set `environment`, run the after-restore hooks and
    answer; the child's report comes back through a pipe, with `restore_ms` from fork to answer.
    A restore brings memory back exactly as snapshotted, but a fork reseeds `random` in the child
    (`os.register_at_fork`): the child puts the snapshot's state back first."""
    import random

    snapshot_random = random.getstate()
    read_end, write_end = os.pipe()
    forked = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the restored container
        os.close(read_end)
        random.setstate(snapshot_random)
        os.environ.update(environment)
        try:
            run_after_restore_hooks()
            loaded = set(sys.modules)
            report = answer(handler, event)
            report["restore_ms"] = (report["answered_at"] - forked) * 1000
            report["imported"] = sorted(set(sys.modules) - loaded)
        except Exception:
            import traceback

            report = {"error": traceback.format_exc()}
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(json.dumps(report))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    restored: dict[str, Any] = json.loads(text)
    return restored


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mode", choices=["cold", "restore", "invoke"], required=True)
    parser.add_argument("--path", action="append", required=True)
    parser.add_argument("--handler", default="app.handler")
    parser.add_argument("--event", required=True)
    parser.add_argument("--children", type=int, default=1)
    parser.add_argument("--warm-parent", action="store_true", help="answer once before the hooks")
    parser.add_argument("--pause", action="store_true", help="wait for stdin before restoring")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    # The build output first, as Lambda orders /var/task, /opt/python, /var/runtime.
    sys.path[:0] = args.path
    with open(args.event) as source:
        event = json.load(source)
    handler = load_handler(args.handler)
    if args.mode == "invoke":
        import_s = time.perf_counter() - started
        print(json.dumps({**invoke(handler, event), "import_s": import_s}), flush=True)
        return
    if args.mode == "cold":
        report = answer(handler, event)
        report["cold_ms"] = (report["answered_at"] - started) * 1000
        print(json.dumps(report), flush=True)
        return
    parent = answer(handler, event) if args.warm_parent else None
    run_before_snapshot_hooks()
    from streamcat import db

    snapshot = {"connection_open": db._connection is not None, "parent": parent}
    environment: dict[str, str] = {}
    if args.pause:
        print("snapshot", flush=True)
        environment = json.loads(sys.stdin.readline().strip() or "{}")
    children = [restore_and_answer(handler, event, environment) for _ in range(args.children)]
    print(json.dumps({**snapshot, "children": children}), flush=True)


if __name__ == "__main__":
    main()
