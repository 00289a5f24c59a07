"""`liuhen serve`, offered to the CLI through the `liuhen.commands` entry point.

Besides the web app, serve starts the background services other packages offer through the
`liuhen.background` entry-point group (`transcription` offers the job worker as `worker`), so this
package never imports them. Each entry is `start(services, stop: threading.Event) -> Thread`.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from importlib.metadata import entry_points

import click
from waitress import serve as serve_wsgi

from logger.cli import Context, prompt_if_terminal
from logger.services import Services, read_passphrase
from storage.vault import Vault
from web.app import create_app

BACKGROUND_GROUP = "liuhen.background"
# Seconds serve waits at exit for background threads to give their work back.
STOP_GRACE_S = 10.0


@click.command()
@click.option("--host", help="Default: server.host (127.0.0.1).")
@click.option("--port", type=int, help="Default: server.port (8000).")
@click.option("--no-worker", is_flag=True,
              help="Run no job worker in this process (default: worker.embedded).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, no_worker: bool) -> None:
    """Serve the web app, with a job worker unless told not to. On a data dir that does not
    exist yet, create it first."""
    config = obj.config
    if not Vault.exists(config.storage.vault_path):
        prompt = prompt_if_terminal(confirm=True)
        click.echo(f"No vault in {config.storage.data_dir} yet: creating one. Choose a "
                   "passphrase; it cannot be recovered if lost.")
        passphrase = read_passphrase(config, prompt=prompt, purpose="New vault passphrase")
        obj.create(passphrase)
    services = obj.services()
    app = create_app(services)
    host, port = host or config.server.host, port or config.server.port
    skip = {"worker"} if no_worker or not config.worker.embedded else set()
    stop = threading.Event()
    threads = start_background(services, stop, skip=skip)
    click.echo(f"Liuhen is serving {config.storage.data_dir} on http://{host}:{port}/")
    try:
        serve_wsgi(app, host=host, port=port, threads=8, ident="Liuhen")
    finally:
        stop.set()
        for thread in threads:
            thread.join(STOP_GRACE_S)


def start_background(services: Services, stop: threading.Event, *,
                     skip: Collection[str] = ()) -> list[threading.Thread]:
    """Start every `liuhen.background` service not named in `skip`; they run until `stop` is
    set. Returns their threads."""
    return [entry.load()(services, stop) for entry in entry_points(group=BACKGROUND_GROUP)
            if entry.name not in skip]
