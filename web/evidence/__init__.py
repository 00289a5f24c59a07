"""The evidence pages: upload (streamed), the details form, the viewers (call, screenshot, email,
document) and downloads of the original. `bp` is created here; `pages`, `files` and `jobs` (the
actions on an item's jobs) add its routes; `times` adds the template globals that show when an
item happened and where that was read; `sides` those that say who said each line, and the form
for whose a stereo channel is."""

from flask import Blueprint

bp = Blueprint("evidence", __name__)

# The route modules add their views to `bp`; importing them here is what registers them.
from web.evidence import files, jobs, pages, sides, times  # noqa: E402,F401
