"""`liuhen serve`, offered to the CLI through the `liuhen.commands` entry point.

Serve never asks on the terminal: with a passphrase source (`LIUHEN_PASSPHRASE` or
`storage.passphrase_file`) it opens the data dir, creating it on first run; with a service
account's key file (`storage.key_file`) it opens the vault made before; without either it
starts locked, and the browser's first-run page (new data dir) or unlock page opens it.

Besides the web app, serve starts the background services other packages offer through the
`liuhen.background` entry-point group (`transcription` offers the job worker as `worker`), so this
package never imports them. Each entry is `start(services, stop: threading.Event) -> Thread`;
they start as soon as the data dir is open, which for a locked start is when the page unlocks it.

The server is sized by `[server]` (`make_server`): `threads` requests at once; connections beyond
them wait, first among the `queue_size` taken and waiting for a thread, then in the kernel's
listen `backlog`. The backlog must hold a burst: cheroot's default of 5 made 24 of 50 parallel
uploads fail with "connection reset" after about a second (Linux drops a connection that sent
its body while the full accept queue left it half-open, and resets it when it retries).

`liuhen` loads this module to list `serve` in its help, so Flask, cheroot and the app are
imported when serve runs, not here.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import threading
from collections.abc import Collection
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import click

from logger.cli.main import Context
from logger.config import Config
from logger.config.sections import ServerConfig

if TYPE_CHECKING:
    from cheroot.wsgi import Server as WSGIServer
    from flask import Flask

    from logger.services import Services

BACKGROUND_GROUP = "liuhen.background"
# Seconds serve waits at exit for background threads to give their work back.
STOP_GRACE_S = 10.0


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops serve like Ctrl-C: the server closes and background work is given back."""
    raise KeyboardInterrupt


@click.command()
@click.option("--host", help="Default: server.host (127.0.0.1).")
@click.option("--port", type=int, help="Default: server.port (8000).")
@click.option("--no-worker", is_flag=True,
              help="Run no job worker in this process (default: worker.embedded).")
@click.option("--no-scheduler", is_flag=True,
              help="Run no reminder scheduler in this process (one per deployment runs them).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, no_worker: bool,
          no_scheduler: bool) -> None:
    """Serve the web app, with a job worker unless told not to. Without LIUHEN_PASSPHRASE,
    storage.passphrase_file or storage.key_file the browser asks for the passphrase (or, on a
    data dir that does not exist yet, creates it)."""
    from storage.datadir import remove_export_leftovers
    from web.state import EXTENSION
    config = obj.config
    skip = {"worker"} if no_worker or not config.worker.embedded else set()
    if no_scheduler:
        skip.add("scheduler")
    if not passphrase_source_given(config) and config.storage.data_dir.is_dir():
        # A locked start (opening the data dir tidies it, Services.open): what an interrupted
        # export left needs no key to be removed, so it goes now, not at the unlock.
        for path in remove_export_leftovers(config.storage.data_dir):
            click.echo(f"Removed {path}, left by an interrupted bundle export.", err=True)
    stop = threading.Event()
    app, threads = build_app(obj, stop, skip=skip)
    host, port = host or config.server.host, port or config.server.port
    locked = "" if app.extensions[EXTENSION].services else " (locked: open it in the browser)"
    previous = signal.signal(signal.SIGTERM, _interrupt)
    server = None
    try:
        server = make_server(app, config.server, host, port)  # a busy port: ClickException
        click.echo(f"Liuhen is serving {config.storage.data_dir} on http://{host}:{port}/"
                   f"{locked}")
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
        stop.set()
        for thread in list(threads):
            thread.join(STOP_GRACE_S)
        app.extensions[EXTENSION].close()


def make_server(app: Flask, settings: ServerConfig, host: str, port: int) -> WSGIServer:
    """The cheroot server for `app` on host:port, sized by `settings` (see the module
    docstring); `start()` binds and serves. A port another program holds raises
    ClickException (`check_port`)."""
    from cheroot.wsgi import Server as WSGIServer
    check_port(host, port)
    # cheroot hands the app the socket as wsgi.input, so an upload streams into the encrypted
    # store; waitress would first spool every body over 512 KiB to a plaintext temporary file
    # (and refuse bodies over 1 GiB). No body limit here: intake.max_file_mb is enforced while
    # streaming.
    server = WSGIServer((host, port), app, numthreads=settings.threads, server_name="Liuhen",
                        request_queue_size=settings.backlog,
                        accepted_queue_size=settings.queue_size,
                        accepted_queue_timeout=settings.queue_timeout_seconds)
    server.max_request_body_size = 0
    return server


def check_port(host: str, port: int) -> None:
    """A port another program holds is one line that says how to choose another
    (ClickException), not cheroot's traceback. Tried on a socket of our own, closed at once:
    cheroot folds the errno into its message, and leaks the socket it failed to bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as cheroot binds
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            reason = ("is already in use" if error.errno == errno.EADDRINUSE
                      else "is not open to this user")
            raise click.ClickException(
                f"Port {port} on {host} {reason} (another Liuhen, or another program, may be "
                f"using it). Choose another one: make run PORT=8080, or liuhen serve --port "
                f"8080.") from None


def build_app(obj: Context, stop: threading.Event, *, skip: Collection[str] = ()
              ) -> tuple[Flask, list[threading.Thread]]:
    """The app over obj's data dir, unlocked when a passphrase source is given, else locked.
    The background services start when the data dir is open (at once, or when the unlock or
    first-run page opens it); their threads are appended to the returned list."""
    from logger.services import read_passphrase, vault_exists
    from web.app import create_app
    from web.state import ON_UNLOCK
    threads: list[threading.Thread] = []

    def start(services: Services) -> None:
        threads.extend(start_background(services, stop, skip=skip))

    if not passphrase_source_given(obj.config):
        app = create_app(config=obj.config)
        app.extensions.setdefault(ON_UNLOCK, []).append(start)
        return app, threads
    if vault_exists(obj.config):
        services = obj.services()
    else:
        # An unattended first start (a service with LIUHEN_PASSPHRASE): create the data dir
        # with that passphrase; the first-run page then asks only for the owner's account.
        services = obj.create(read_passphrase(obj.config))
    app = create_app(services)
    start(services)
    return app, threads


def passphrase_source_given(config: Config) -> bool:
    """Whether the vault can be opened without a person at the browser: a passphrase in the
    environment or a file, or a service account's key file."""
    return bool(os.environ.get("LIUHEN_PASSPHRASE") or config.storage.passphrase_file
                or config.storage.key_file)


def start_background(services: Services, stop: threading.Event, *,
                     skip: Collection[str] = ()) -> list[threading.Thread]:
    """Start every `liuhen.background` service not named in `skip`; they run until `stop` is
    set. Returns their threads."""
    return [entry.load()(services, stop) for entry in entry_points(group=BACKGROUND_GROUP)
            if entry.name not in skip]
