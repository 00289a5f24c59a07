"""The Flask app: `create_app()`, one blueprint per noun, templates and static files.

May import `logger` and `storage`; must not import `transcription`.

`create_app` is imported from web.app on first use, so that `liuhen` can load `web.cli` (the
`serve` command, for its help) without importing Flask and the whole app.
"""

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from web.app import create_app
        return create_app
    raise AttributeError(f"module 'web' has no attribute {name!r}")
