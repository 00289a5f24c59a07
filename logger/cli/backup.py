"""CLI commands about backups: `backup --to DIR` (a new snapshot, incremental for the blobs),
`backup verify DIR` (a snapshot whole and unaltered) and `restore --from DIR` (into the
configured data dir, database and blob store, which must be empty). Registered on the `liuhen`
group by logger.cli."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from logger.cli.output import emit


def _unlock_key(obj, purpose: str):
    """What opens the backup's vault, read as for every command (LIUHEN_PASSPHRASE, the
    configured passphrase or key file, else a prompt at a terminal)."""
    from logger.services import read_unlock_key
    prompt = (lambda label: click.prompt(label, hide_input=True)) if sys.stdin.isatty() else None
    return read_unlock_key(obj.config, prompt=prompt, purpose=purpose)


@click.group("backup", invoke_without_command=True)
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path),
              help="The backup folder (created if missing; later backups into it copy only "
                   "new originals).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def backup(ctx: click.Context, to: Path | None, as_json: bool) -> None:
    """Write an encrypted, verifiable backup of the database and the originals into a folder
    (`--to DIR`); `backup verify DIR` checks one. Exit 1 if an original fails its check."""
    if ctx.invoked_subcommand is not None:
        return
    if to is None:
        raise click.UsageError("give the backup folder: liuhen backup --to DIR")
    from logger.backup.backup import make_backup
    result = make_backup(ctx.obj.services(), to)
    lines = [f"snapshot {result.snapshot} written to {result.path}",
             f"{result.new_blobs} new original(s) copied ({result.new_bytes / 1e6:.1f} MB), "
             f"{result.skipped_blobs} already in the backup; database: {result.rows} row(s), "
             f"{result.dump_bytes / 1e6:.1f} MB encrypted"]
    lines += [f"removed {path}, left by an interrupted backup" for path in
              result.removed_leftovers]
    lines += [f"snapshot {name} does not open with this vault's key (another deployment's, or "
              "altered): its copies were not trusted" for name in result.untrusted_snapshots]
    lines += result.problems
    emit(result.as_dict(), as_json, "\n".join(lines))
    if result.problems:
        sys.exit(1)


@backup.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--snapshot", help="The snapshot to check (default: the newest).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def backup_verify(obj, folder: Path, snapshot: str | None, as_json: bool) -> None:
    """Check a snapshot: the manifest's authentication code (with the passphrase of the day of
    the backup), every file's SHA-256 and the database dump. One line per problem; exit 1 on
    any."""
    from logger.backup.check import check_snapshot, open_snapshot_vault
    from logger.backup.repository import Repository
    repository = Repository(folder)
    name = repository.snapshot(snapshot)
    vault = open_snapshot_vault(repository, name, _unlock_key(obj, "Passphrase of the backup"))
    report = check_snapshot(repository, name, vault)
    if as_json:
        emit(report.as_dict(), True)
    else:
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(report.summary(), err=not report.ok)
    sys.exit(0 if report.ok else 1)


@click.command("restore")
@click.option("--from", "source", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The backup folder.")
@click.option("--snapshot", help="The snapshot to restore (default: the newest).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def restore(obj, source: Path, snapshot: str | None, as_json: bool) -> None:
    """Restore a backup into the configured data dir, database and blob store, which must be
    empty; then run `liuhen verify` on it. The passphrase is the one of the day of the backup.
    Exit 1 if anything did not come back intact."""
    from logger.backup.restore import restore as do_restore
    result = do_restore(obj.config, source, _unlock_key(obj, "Passphrase of the backup"),
                        snapshot=snapshot)
    if as_json:
        emit(result.as_dict(), True)
    else:
        for line in result.problems:
            click.echo(line)
        if result.verify is not None:
            for problem in result.verify.problems:
                click.echo(problem.message)
        click.echo(f"restored snapshot {result.snapshot}: {result.rows} row(s), {result.blobs} "
                   f"original(s) ({result.bytes / 1e6:.1f} MB) into "
                   f"{obj.config.storage.data_dir}", err=not result.ok)
        if result.verify is not None:
            click.echo(result.verify.summary(), err=not result.ok)
    if not result.ok:
        sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(restore)

