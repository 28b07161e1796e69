"""Every budget the benchmarks check or print, stated once; each bench copies the ones it is
held to into its output, so results.json, the comparisons and the rendered figures agree."""

from local.package_sizes import LAMBDA_UNZIPPED_LIMIT_BYTES
from streamcat.settings import Settings

MB = 1024 * 1024

# The ETL, raw CSVs in S3 to the loaded catalog and Parquet, at full scale (11M ratings).
ETL_SECONDS = 4.0
ETL_PEAK_RSS_MB = 1536
# Training the recommender on the ETL's output, at full scale.
TRAIN_SECONDS = 10.0

# A query Lambda's handler, warm, per call; the browse routes (/titles, /titles/{id}) have a
# tighter p99.
QUERY_MS = {"warm_p50": 2.0, "warm_p99": 10.0, "browse_warm_p99": 5.0}
# The recommendations Lambda: cold start (model load from S3 included) and warm p99.
RECOMMENDATIONS_MS = {"cold": 500.0, "warm_p99": 10.0}
# From the built package with production start-up: cold init and SnapStart restore to the first
# answer; the docs function is held to the query functions' figures.
SNAPSTART_MS = {
    "query": {"cold init": 300.0, "restore": 30.0},
    "recommendations": {"cold init": 500.0, "restore": 50.0},
}

# The recommender's lists: coverage@10 of at least 20% of the titles, and each of the 100 most
# rated titles a top 5 of its own.
MIN_COVERAGE = 0.2
POPULAR = 100

# A function's package with its layers, unzipped: Lambda's limit (250 MB).
PACKAGE_BYTES = LAMBDA_UNZIPPED_LIMIT_BYTES

# The data path at 3x and 10x the ratings: one ETL invocation's peak memory, and training's
# seconds and peak memory within what one Lambda invocation may take (15 minutes, 10,240 MB).
SCALE_ETL_PEAK_RSS_MB = 2048.0
LAMBDA_TIMEOUT_S = 900.0
LAMBDA_MEMORY_MB = 10240.0

# A Spark training's limit: the timeout its job run is started with (the settings' default).
SPARK_JOB_TIMEOUT_S = 60.0 * Settings.model_fields["spark_job_timeout_minutes"].default
