"""The hardship application page (减免申请书) of a negotiation: circumstances, plan, proofs,
the letter to download and marking it sent (`pages`, reading its forms in `forms`, with the
labels and form values in `labels`). Uses logger.hardship; nothing else imports it."""

from flask import Blueprint

bp = Blueprint("hardship", __name__)

# The route modules add their views to `bp`; importing them here is what registers them.
from web.hardship import pages  # noqa: E402,F401
