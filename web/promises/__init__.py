"""Promises and payments (`pages`, with the forms they read in `forms`), and reminders as a person
sees them: notifications, the private calendar feed, the reminder email (`notifications`),
the email server for them (`mail`);
promises in writing and the confirmation request (`writing`)."""

from flask import Blueprint

bp = Blueprint("promises", __name__)

# The route modules add their views to `bp`; importing them here is what registers them.
from web.promises import mail, notifications, pages, writing  # noqa: E402,F401
