"""The max_duration Lambda: its router's app, run by Mangum (handler `app.handler`)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import max_duration

app = create_app(max_duration.router)
handler = make_handler(app)
