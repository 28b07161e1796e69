"""The GitHub workflows: actions pinned to a commit, `make test` on every proposal (Dependabot's
included), and an end-to-end clean-up that deletes everything even when one step fails."""

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
CLEANUP = REPO / ".github" / "scripts" / "e2e-cleanup.sh"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit(workflow: Path) -> None:
    """A tag can be moved to other code; a commit cannot."""
    uses = re.findall(r"uses:\s*(\S+)(.*)", workflow.read_text(encoding="utf-8"))

    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.match(r"\s*# v\d", comment), f"{action}: name the version it is"


def test_every_pull_request_runs_make_test() -> None:
    workflow = _load(REPO / ".github" / "workflows" / "test.yml")

    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    (job,) = workflow["jobs"].values()
    assert any(step.get("run", "").startswith("make test") for step in job["steps"])


def test_dependabot_proposes_lock_and_action_updates_weekly() -> None:
    updates = _load(REPO / ".github" / "dependabot.yml")["updates"]

    assert {(u["package-ecosystem"], u["schedule"]["interval"]) for u in updates} == {
        ("uv", "weekly"),
        ("github-actions", "weekly"),
    }


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >> "$CALLS"\n{body}\n')
    path.chmod(0o755)


def test_a_failed_stack_deletion_still_deletes_the_bucket_and_the_snapshots(
    tmp_path: Path,
) -> None:
    _stub(
        tmp_path,
        "aws",
        """case "$*" in
  *describe-stacks*) echo "arn:aws:cloudformation:us-east-1:1:stack/e2e/0123-abcd" ;;
  *describe-stack-resources*) echo "db-1" ;;
  *describe-db-snapshots*) echo "snap-1 snap-2" ;;
esac""",
    )
    _stub(tmp_path, "sam", "exit 1")
    _stub(tmp_path, "python", "cat > /dev/null")
    calls = tmp_path / "calls"

    result = subprocess.run(
        ["bash", str(CLEANUP), "e2e", "eu-west-1"],
        env={
            **os.environ,
            "PATH": f"{tmp_path}:{os.environ['PATH']}",
            "SAM": str(tmp_path / "sam"),
            "PYTHON": str(tmp_path / "python"),
            "CALLS": str(calls),
        },
        capture_output=True,
        text=True,
        check=False,
    )

    made = calls.read_text().splitlines()
    assert result.returncode == 1, "a failed step fails the clean-up"
    assert "sam delete --stack-name e2e --region eu-west-1 --no-prompts" in made
    assert "python - streamcat-0123-abcd" in made
    assert [call for call in made if "delete-db-snapshot" in call] == [
        "aws rds delete-db-snapshot --db-snapshot-identifier snap-1",
        "aws rds delete-db-snapshot --db-snapshot-identifier snap-2",
    ]
