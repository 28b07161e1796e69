"""The actor Lambda: its router's app, run by Mangum (handler `app.handler`)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import actor

app = create_app(actor.router)
handler = make_handler(app)
