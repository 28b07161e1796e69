"""The prod_per_country Lambda: its router's app, run by Mangum (handler `app.handler`)."""

from streamcat.api.app import create_app
from streamcat.api.handler import make_handler
from streamcat.api.routers import prod_per_country

app = create_app(prod_per_country.router)
handler = make_handler(app)
