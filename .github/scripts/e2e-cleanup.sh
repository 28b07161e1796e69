#!/usr/bin/env bash
# Deletes an end-to-end stack, its retained bucket and its database's final snapshot. Each step
# runs even when an earlier one failed (a failed `sam delete` must not leave a bucket and a
# snapshot billing on), and the script fails at the end if any did.
# Usage: e2e-cleanup.sh STACK REGION   (SAM and PYTHON name the tools; the .venv's by default)
set -uo pipefail
stack="$1"
region="$2"
sam="${SAM:-.venv/bin/sam}"
python="${PYTHON:-.venv/bin/python}"
failed=0

if ! stack_id=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query 'Stacks[0].StackId' --output text 2>/dev/null); then
  echo "No stack $stack: nothing to delete."
  exit 0
fi
# The template names the bucket "streamcat-" and the stack id's UUID, so it is found even when
# the stack rolled back before its outputs existed.
bucket="streamcat-${stack_id##*/}"
database=$(aws cloudformation describe-stack-resources --stack-name "$stack" \
  --logical-resource-id Database \
  --query 'StackResources[0].PhysicalResourceId' --output text 2>/dev/null || true)

"$sam" delete --stack-name "$stack" --region "$region" --no-prompts || {
  echo "sam delete failed for $stack" >&2
  failed=1
}

# DeletionPolicy Retain kept the versioned bucket: delete every version and delete marker, then
# the bucket.
"$python" - "$bucket" <<'PY' || failed=1
import sys

import boto3
from botocore.exceptions import ClientError

bucket = boto3.resource("s3").Bucket(sys.argv[1])
try:
    bucket.object_versions.delete()
    bucket.delete()
    print(f"deleted bucket {bucket.name}")
except ClientError as error:
    if error.response["Error"]["Code"] != "NoSuchBucket":
        raise
    print(f"no bucket {bucket.name}")
PY

# DeletionPolicy Snapshot kept a final snapshot of the database.
if [ -n "$database" ] && [ "$database" != "None" ]; then
  snapshots=$(aws rds describe-db-snapshots --db-instance-identifier "$database" \
    --snapshot-type manual --query 'DBSnapshots[].DBSnapshotIdentifier' --output text) || failed=1
  for snapshot in ${snapshots:-}; do
    if aws rds delete-db-snapshot --db-snapshot-identifier "$snapshot" >/dev/null; then
      echo "deleted snapshot $snapshot"
    else
      failed=1
    fi
  done
fi

exit "$failed"
