"""A bundle export killed half way leaves nothing readable (issue 19, item 1).

An attack pass found that SIGKILL during the page's export left the bundle being built, every
original readable, in a folder of the data dir, and that `liuhen verify` called that intact. Here
a real process (the page's POST, or `liuhen export`) is stopped at a known point of the export
(tests/support/pausing_export.py: after the first original, or after every original, text and
PDF) and killed; then no file under the data dir, nor beside the CLI's target, holds a byte of
that original, a ZIP entry or a PDF. What earlier versions left (and a scratch file whose name
outlived a crash) is reported by `liuhen verify` and removed by `verify --repair` and by the
next start, while a file Liuhen does not know is reported and left for a person.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from logger.bundles.build import BundleRequest, build_bundle
from logger.bundles.items import BundleError, BundleGroup, BundlePurpose
from logger.intake.ingest import IncomingFile, ingest
from logger.services import Services
from storage.blobs.store import BlobCorrupt
from storage.datadir import export_leftovers, unknown_entries
from storage.models import CustodyAction, CustodyEvent
from tests.support.common import CHEAP_KDF, PASSPHRASE, wait_for
from tests.support.pausing_export import NO_TMPFILE, PAUSE_FILE
from tests.support.web import post_form

ROOT = Path(__file__).resolve().parents[2]
MARKER = b"LIUHEN-ORIGINAL-MARKER-7f3a"
ORIGINAL = b"".join(MARKER + f" 催收记录 第{i}行：约定本月还款\n".encode() for i in range(8000))
ZIP_ENTRY = re.compile(rb"PK\x03\x04.{26}evidence/", re.DOTALL)
PAUSE_TIMEOUT_S = 120


def readable_bundle_bytes(folder: Path) -> list[str]:
    """Every file under `folder` that holds a piece of the original, a ZIP entry of a bundle
    or a PDF, with what was found."""
    found = []
    for parent, _, names in os.walk(folder):
        for name in names:
            path = Path(parent) / name
            data = path.read_bytes()
            what = [label for label, hit in (
                ("the original", MARKER in data), ("a ZIP entry", ZIP_ENTRY.search(data)),
                ("a PDF", b"%PDF-1." in data)) if hit]
            if what:
                found.append(f"{path.relative_to(folder)}: {', '.join(what)}")
    return found


@pytest.fixture
def exported_item(services, session, owner, negotiation):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(ORIGINAL), "催收记录.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=10**8,
                  tz=services.config.locale.zone)
    return item


def run_until_paused(args: list[str], env: dict[str, str], pause_file: Path
                     ) -> subprocess.Popen:
    """Start the helper and return once it says it is paused (it then waits to be killed)."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.pausing_export", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    def paused() -> bool:
        if proc.poll() is not None:
            output = proc.stdout.read().decode(errors="replace")
            pytest.fail(f"the export ended ({proc.returncode}) before its pause:\n{output}")
        return pause_file.exists()

    try:
        wait_for(paused, timeout=PAUSE_TIMEOUT_S, what="the export's pause")
    except AssertionError:
        proc.kill()
        raise
    return proc


@pytest.mark.parametrize("mode, pause, no_tmpfile", [
    ("web", "original", False), ("web", "readme", False),
    ("cli", "original", False), ("cli", "readme", False),
    ("cli", "readme", True),
])
def test_an_export_killed_half_way_leaves_nothing_readable(
        mode, pause, no_tmpfile, config, services, session, owner, negotiation, exported_item,
        tmp_path, cli):
    data_dir = config.storage.data_dir
    services.close()
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    target = out_dir / "bundle.zip"
    pause_file = tmp_path / "paused"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    env.update(CHEAP_KDF, LIUHEN_DATA_DIR=str(data_dir), LIUHEN_PASSPHRASE=PASSPHRASE,
               PYTHONPATH=str(ROOT), **{PAUSE_FILE: str(pause_file)})
    if no_tmpfile:
        env[NO_TMPFILE] = "1"
    if mode == "web":
        args = ["web", pause, str(negotiation.id), str(exported_item.id)]
    else:
        args = ["cli", pause, "--", "export", "--negotiation", str(negotiation.id),
                "--purpose", "backup", "--out", str(target), "--no-timestamp"]

    proc = run_until_paused(args, env, pause_file)
    try:
        # The export is under way: what is on disk now is what a crash would leave.
        assert readable_bundle_bytes(data_dir) == []
        assert readable_bundle_bytes(out_dir) == []
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    assert readable_bundle_bytes(data_dir) == []
    assert list(out_dir.iterdir()) == []   # no bundle, no partial one beside the target
    result = cli("verify")
    assert result.exit_code == 0, result.output   # nothing left over, nothing unknown
    with Services.open(config, PASSPHRASE) as reopened, reopened.session() as s:
        assert s.exec(select(CustodyEvent).where(
            CustodyEvent.action == CustodyAction.export)).all() == []


def plant_leftovers(data_dir: Path, bundle: Path) -> dict[str, Path]:
    """What an interrupted export of an earlier version left (a plaintext bundle in a download
    folder, a PDF work folder, a temporary name), the name of an encrypted scratch file that
    outlived a crash, and two things Liuhen never makes."""
    download = data_dir / "bundle-k2j4h7_q"
    download.mkdir()
    shutil.copy(bundle, download / "liuhen-1-backup-20241203-2230.zip")
    work = data_dir / ".liuhen-bundle-a1b2c3d4"
    work.mkdir()
    (work / "list.pdf").write_bytes(b"%PDF-1.4 list")
    part = data_dir / ".liuhen-1-court.zip.0123456789ab.part"
    shutil.copy(bundle, part)
    spool = data_dir / ".liuhen-export-x8_k2m1q.part"
    spool.write_bytes(os.urandom(4096))
    unknown_file = data_dir / "notes.txt"
    unknown_file.write_text("mine")
    unknown_dir = data_dir / "old-exports"
    unknown_dir.mkdir()
    return {"download": download, "work": work, "part": part, "spool": spool,
            "unknown_file": unknown_file, "unknown_dir": unknown_dir}


@pytest.fixture
def planted(config, services, session, owner, negotiation, exported_item, tmp_path
            ) -> dict[str, Path]:
    """A real bundle's leftovers of an interrupted export (plant_leftovers), with the data dir
    closed, as a crash leaves it."""
    bundle = tmp_path / "made-earlier.zip"
    build_bundle(session=session, services=services, request=BundleRequest(
        negotiation=negotiation, purpose=BundlePurpose.backup, language="zh",
        groups=[BundleGroup("备份", [exported_item.id])], party="张三", timestamp=False),
        out=bundle, actor=owner)
    services.close()
    return plant_leftovers(config.storage.data_dir, bundle)


def test_verify_reports_leftovers_and_unknown_files_and_repair_removes_only_leftovers(
        config, planted, cli):
    leftovers = [planted[k] for k in ("download", "work", "part", "spool")]
    unknown = [planted["unknown_file"], planted["unknown_dir"]]

    result = cli("verify")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    for path in leftovers:
        assert f"{path}: left by an interrupted bundle export (`--repair` removes it)" in lines
        assert path.exists()   # verify changes nothing
    for path in unknown:
        assert any(line.startswith(f"{path}: not something Liuhen keeps") for line in lines)

    result = cli("verify", "--repair")
    assert result.exit_code == 1   # the unknown files are still there, for a person
    for path in leftovers:
        assert f"removed export leftover {path}" in result.stdout
        assert not path.exists()
    assert all(path.exists() for path in unknown)
    assert readable_bundle_bytes(config.storage.data_dir) == []
    assert "left by an interrupted" not in result.stdout


def test_the_next_start_removes_leftovers(config, planted):
    Services.open(config, PASSPHRASE).close()   # every process starts here (serve on unlock)
    assert not any(planted[k].exists() for k in ("download", "work", "part", "spool"))
    assert planted["unknown_file"].exists() and planted["unknown_dir"].exists()
    assert readable_bundle_bytes(config.storage.data_dir) == []


def test_a_failed_cli_export_leaves_nothing(config, services, session, owner, negotiation,
                                            exported_item, tmp_path):
    path = services.blobs.path_for(exported_item.blob_id)
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 1   # the end of the original no longer authenticates
    path.write_bytes(bytes(raw))
    out_dir = tmp_path / "exports"
    request = BundleRequest(negotiation=negotiation, purpose=BundlePurpose.court,
                            language="zh", groups=[BundleGroup("备份", [exported_item.id])],
                            party="张三", timestamp=False)
    with pytest.raises(BlobCorrupt):   # the export stops at that original
        build_bundle(session=session, services=services, request=request,
                     out=out_dir / "bundle.zip", actor=owner)
    assert list(out_dir.iterdir()) == []
    assert readable_bundle_bytes(config.storage.data_dir) == []
    assert session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export)).all() == []


def test_a_bundle_error_on_the_page_shows_the_page_and_leaves_nothing(
        config, services, session, owner, negotiation, exported_item, client, monkeypatch):
    import logger.bundles.build as build

    def refuse(*args, **kwargs):
        raise BundleError("the time-stamp authority did not answer")
    monkeypatch.setattr(build, "_write_signed_manifest", refuse)
    reply = post_form(client, f"/negotiations/{negotiation.id}/bundle",
                      {"purpose": "backup", "lang": "zh", "item": [exported_item.id]})
    assert reply.status_code == 400
    assert "the time-stamp authority did not answer" in reply.get_data(as_text=True)
    assert readable_bundle_bytes(config.storage.data_dir) == []
    data_dir = config.storage.data_dir
    assert export_leftovers(data_dir) == [] and unknown_entries(data_dir) == []
    assert session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export)).all() == []


def test_a_locked_serve_start_removes_leftovers(config, planted, cli_env, monkeypatch):
    """`liuhen serve` without a passphrase starts locked (the browser unlocks it later): the
    leftovers go at start all the same, since removing them needs no key."""

    class StopsAtOnce:   # the server: Ctrl-C as soon as it starts
        def start(self):
            raise KeyboardInterrupt

        def stop(self):
            pass

    import web.cli
    monkeypatch.setattr(web.cli, "make_server", lambda *args, **kw: StopsAtOnce())
    locked = {k: v for k, v in cli_env.items() if k != "LIUHEN_PASSPHRASE"}
    monkeypatch.delenv("LIUHEN_PASSPHRASE", raising=False)
    from logger.cli.main import cli as command
    result = CliRunner().invoke(command, ["serve", "--no-worker", "--no-scheduler"], env=locked,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "locked" in result.output
    assert not any(planted[k].exists() for k in ("download", "work", "part", "spool"))
    assert planted["unknown_file"].exists() and planted["unknown_dir"].exists()
    assert readable_bundle_bytes(config.storage.data_dir) == []
