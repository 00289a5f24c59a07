"""Conduct findings: the findings page with its charts, rule switches and dismissals (`pages`), and
the inputs a person gives them, call-log upload and contact entries (`inputs`)."""

from flask import Blueprint

bp = Blueprint("findings", __name__)
FINDINGS = "/negotiations/<int:negotiation_id>/findings"

# The route modules add their views to `bp`; importing them here is what registers them.
from web.findings import inputs, pages  # noqa: E402,F401
