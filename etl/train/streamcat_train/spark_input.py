"""What the Spark job (etl/spark/train_job.py) is given besides the ratings Parquet: the
catalog's titles as JSON Lines, one {"item": i, "movie_id": id} per title in the catalog's
order, so the job numbers titles as the Lambda does and drops the ratings of other ids."""

import json


def titles_lines(catalog_ids: list[str]) -> bytes:
    return "".join(
        json.dumps({"item": item, "movie_id": movie_id}) + "\n"
        for item, movie_id in enumerate(catalog_ids)
    ).encode()
