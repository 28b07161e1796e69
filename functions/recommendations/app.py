"""The recommendations Lambda: its router's app, run by Mangum (handler `app.handler`). The
model is loaded during the init phase (a failure is retried on the first request), so with
SnapStart it is in the snapshot; a restored container checks for a newer model at its first
request."""

from snapshot_restore_py import register_after_restore

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import recommendations
from streamcat.recommend.store import get_store

app = create_app(recommendations.router)
handler = make_handler(app)

get_store().preload()


def _look_for_a_newer_model() -> None:
    """A restored container's model is the snapshot's, which may be days old."""
    get_store().restored()


register_after_restore(_look_for_a_newer_model)
