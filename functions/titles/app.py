"""The titles Lambda: its router's app, run by Mangum (handler `app.handler`)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import titles

app = create_app(titles.router)
handler = make_handler(app)
