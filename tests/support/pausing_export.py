"""A bundle export that stops at a chosen moment and waits to be killed, for
tests/security/test_export_leftovers.py. Run as a process of its own:

    python -m tests.support.pausing_export web PAUSE NEGOTIATION ITEM...   (the page's POST)
    python -m tests.support.pausing_export cli PAUSE -- export --negotiation 1 --out X.zip ...

PAUSE says when to stop: `original`, once the first original has been written into the bundle;
`readme`, once every original, text and PDF has been (only the README, verify.py and the
manifest are still to come). The process then writes its pid to the file named by
`LIUHEN_PAUSE_FILE` and sleeps until it is killed: the test waits for that file, so where the
export stands when it is killed never depends on timing. `LIUHEN_TEST_NO_TMPFILE=1` makes
`storage.scratch.nameless_file` answer None, as on a system without O_TMPFILE. The data dir and
passphrase come from the environment, as for `liuhen`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from storage.blobs.store import BlobStore

PAUSE_FILE = "LIUHEN_PAUSE_FILE"
NO_TMPFILE = "LIUHEN_TEST_NO_TMPFILE"


def wait_to_be_killed() -> None:
    Path(os.environ[PAUSE_FILE]).write_text(str(os.getpid()))
    while True:
        time.sleep(3600)


def install(pause: str) -> None:
    import logger.bundles.build as build
    import storage.scratch as scratch
    if os.environ.get(NO_TMPFILE) == "1":
        scratch.nameless_file = build.nameless_file = lambda directory: None
    if pause == "original":
        copy_to = BlobStore.copy_to

        def copy_then_pause(self, blob_id, dest):
            stored = copy_to(self, blob_id, dest)
            wait_to_be_killed()
            return stored
        BlobStore.copy_to = copy_then_pause
    elif pause == "readme":
        def pause_at_readme(*args, **kwargs):
            wait_to_be_killed()
        build.readme_text = pause_at_readme
    else:
        raise SystemExit(f"unknown pause point {pause!r}")


def run_web(negotiation_id: int, item_ids: list[int]) -> None:
    from logger.config import load_config
    from logger.services import Services
    from tests.support.web import post_form, sign_in
    from web import create_app
    services = Services.open(load_config(), os.environ["LIUHEN_PASSPHRASE"])
    app = create_app(services)
    app.config["TESTING"] = True
    client = sign_in(app.test_client(), "owner", "owner-password")
    form = {"purpose": "backup", "lang": "zh", "party": "张三", "item": item_ids,
            "purpose-1": "备份"}
    reply = post_form(client, f"/negotiations/{negotiation_id}/bundle", form)
    reply.get_data()
    raise SystemExit(f"the export was not paused: it ended with {reply.status_code}")


def run_cli(args: list[str]) -> None:
    from logger.cli.main import cli
    cli.main(args=args, prog_name="liuhen", standalone_mode=True)
    raise SystemExit("the export was not paused: it ended")


def main(argv: list[str]) -> None:
    mode, pause, *rest = argv
    install(pause)
    if mode == "web":
        run_web(int(rest[0]), [int(i) for i in rest[1:]])
    elif mode == "cli":
        run_cli(rest[1:] if rest[:1] == ["--"] else rest)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
