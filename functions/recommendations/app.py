"""The recommendations Lambda: its router's app, run by Mangum (handler `app.handler`). The
model is loaded during the init phase (a failure is retried on the first request)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import recommendations
from streamcat.recommend.store import get_store

app = create_app(recommendations.router)
handler = make_handler(app)

get_store().preload()
