"""`liuhen serve`, offered to the CLI through the `liuhen.commands` entry point."""

from __future__ import annotations

import click
from waitress import serve as serve_wsgi

from logger.cli import Context, prompt_if_terminal
from logger.services import read_passphrase
from storage.vault import Vault
from web.app import create_app


@click.command()
@click.option("--host", help="Default: server.host (127.0.0.1).")
@click.option("--port", type=int, help="Default: server.port (8000).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Serve the web app. On a data dir that does not exist yet, create it first."""
    config = obj.config
    if not Vault.exists(config.storage.vault_path):
        prompt = prompt_if_terminal(confirm=True)
        click.echo(f"No vault in {config.storage.data_dir} yet: creating one. Choose a "
                   "passphrase; it cannot be recovered if lost.")
        passphrase = read_passphrase(config, prompt=prompt, purpose="New vault passphrase")
        obj.create(passphrase)
    app = create_app(obj.services())
    host, port = host or config.server.host, port or config.server.port
    click.echo(f"Liuhen is serving {config.storage.data_dir} on http://{host}:{port}/")
    serve_wsgi(app, host=host, port=port, threads=8, ident="Liuhen")
