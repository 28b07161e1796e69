"""The score_count Lambda: its router's app, run by Mangum (handler `app.handler`)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import score_count

app = create_app(score_count.router)
handler = make_handler(app)
