"""The recommendations Lambda: its router's app, run by Mangum (handler `app.handler`). The
model is loaded during the init phase (a failure is retried on the first request), so with
SnapStart it is in the snapshot; a restored container reads S3 with its own credentials and
checks for a newer model at its first request."""

from snapshot_restore_py import register_after_restore

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import recommendations
from streamcat.recommend.s3_reader import S3Reader
from streamcat.recommend.store import get_store
from streamcat.settings import get_settings

app = create_app(recommendations.router)
handler = make_handler(app)

get_store().preload()


def _fresh_model_store() -> None:
    """A restored container's store: its own credentials, a newer model looked for."""
    get_store().restored(S3Reader(get_settings()))


# After make_handler's hooks, so it runs after them (on the settings they read afresh).
register_after_restore(_fresh_model_store)
