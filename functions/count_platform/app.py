"""The count_platform Lambda: its router's app, run by Mangum (handler `app.handler`)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import count_platform

app = create_app(count_platform.router)
handler = make_handler(app)
