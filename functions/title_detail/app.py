"""The title_detail Lambda: its router's app, run by Mangum (handler `app.handler`)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import title_detail

app = create_app(title_detail.router)
handler = make_handler(app)
