"""How the CLI prints: JSON for scripts, lines for people."""

import json

import click


def emit(data: object, as_json: bool, text: str | None = None) -> None:
    """Print `data` as JSON (UTF-8, not escaped), or `text` for people."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif text is not None:
        click.echo(text)
