"""Settings: language (also before sign-in), time zone and members (`pages`), managing a member
(`members`), the API tokens (`tokens`) and the account's password (`password`)."""

from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

# The route modules add their views to `bp`; importing them here is what registers them.
from web.settings import members, pages, password, tokens  # noqa: E402,F401
