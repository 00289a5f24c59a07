"""The Flask app: `create_app()`, one blueprint per noun, templates and static files.

May import `logger` and `storage`; must not import `transcription`.
"""

from web.app import create_app

__all__ = ["create_app"]
