"""CLI commands about evidence bundles: `export` (and `export --show-key`) and `verify-bundle`.
Registered on the `liuhen` group by logger.cli. `logger.bundles` (reportlab, the time-stamp
client) is imported inside the commands, so other commands start without it; the choices of
`export --purpose` and `--channel` come from logger.bundles.choices, which loads no database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from logger.cli.options import LazyChoice, actor_for
from logger.cli.output import emit
from logger.errors import LiuhenError


def _ids(value: str, option: str) -> list[int]:
    try:
        return [int(part.strip().lstrip("#")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a list of item numbers like 3,4,7",
                                 param_hint=option) from None


def _group(value: str):
    """--group "3,4=证明催收方在22:00后致电": items 3 and 4, with that purpose."""
    from logger.bundles.items import BundleGroup
    ids, sep, purpose = value.partition("=")
    if not sep or not purpose.strip():
        raise click.BadParameter(f"{value!r} should look like 3,4=证明催收方在22:00后致电 (item "
                                 "numbers, =, what they prove)", param_hint="--group")
    return BundleGroup(purpose.strip(), _ids(ids, "--group"))


@click.command("export")
@click.option("--negotiation", "negotiation_id", type=int, help="The negotiation's number.")
@click.option("--purpose", type=LazyChoice("logger.bundles.choices:BundlePurpose"),
              help="court: print version and signature line; complaint: with the letter; "
                   "backup: for your own archive.")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]),
              help="Language of the list and texts (default: the negotiation's, else zh).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="The ZIP file to write.")
@click.option("--items", help="Only these items, e.g. 3,4,7 (default: all).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only items from this day.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Only items up to this day.")
@click.option("--channel", "channels", multiple=True,
              type=LazyChoice("logger.bundles.choices:channel_choices"),
              help="Only items of this channel (repeat for several).")
@click.option("--group", "groups", multiple=True,
              help='A group and what it proves, e.g. "3,4=证明催收方在22:00后致电" (repeat; '
                   "other items are grouped by their kind).")
@click.option("--party", help="Your name, printed on the list and the letter "
                              "(default: the account name).")
@click.option("--letter", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="complaint: the letter as you edited it (default: the draft).")
@click.option("--print-letter", is_flag=True,
              help="Print the draft complaint letter (to edit, then pass with --letter); what "
                   "it leaves out as uncertain is listed on stderr.")
@click.option("--letter-kind", default="generic", show_default=True,
              type=click.Choice(["generic", "cbirc_12378", "samr_12315", "heimao", "cfpb"]),
              help="complaint: the kind of letter (12378, 12315 and heimao are in Chinese, "
                   "cfpb in English).")
@click.option("--no-timestamp", is_flag=True, help="Do not ask `bundles.tsa_url` for a "
                                                   "time-stamp this time.")
@click.option("--show-key", is_flag=True,
              help="Show the signing key's fingerprint (give it to whoever checks your "
                   "bundles) and stop.")
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def export(obj, negotiation_id, purpose, language, out, items, since, until, channels, groups,
           party, letter, print_letter, letter_kind, no_timestamp, show_key, user_name,
           as_json) -> None:
    """Build an evidence bundle: originals, texts, the evidence list (PDF, HTML, CSV), a signed
    manifest and verify.py, in one ZIP."""
    from logger.bundles.items import BundlePurpose, select_items, suggest_groups
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    services = obj.services()
    if show_key:
        _show_key(services, as_json)
        return
    if negotiation_id is None:
        raise LiuhenError("name the negotiation with --negotiation (see `liuhen negotiation "
                          "list`)")
    with services.session() as session:
        actor = actor_for(session, user_name)
        target = get_negotiation(session, negotiation_id, owner=actor)
        # Every time in the letter and the bundle is local in the negotiation's zone.
        tz = negotiation_zone(session, target, default_zone=services.config.locale.zone)
        language = language or (target.language if target.language in ("zh", "en") else "zh")
        party = party or actor.name
        if print_letter:
            _print_letter(session, target, language, tz, party, letter_kind)
            return
        if purpose is None or out is None:
            raise LiuhenError("say what the bundle is for with --purpose court|complaint|backup "
                              "and where to write it with --out FILE.zip")
        named = [_group(g) for g in groups]
        taken = {i for g in named for i in g.evidence_ids}
        chosen = select_items(session, target, tz=tz,
                              ids=_ids(items, "--items") if items else None,
                              since=since.date() if since else None,
                              until=until.date() if until else None, channels=channels or None)
        rest = [e for e in chosen if e.id not in taken]
        all_groups = named + suggest_groups(session, target, rest, language=language, tz=tz)
        result = _build(session, services, target, BundlePurpose(purpose), language, all_groups,
                        party, letter, letter_kind, not no_timestamp, out, actor)
    stamp = "; time-stamped" if result.timestamped else ""
    emit(result.as_dict(), as_json,
         f"wrote {result.path}: {result.exhibits} item(s), {result.files} files, "
         f"{result.bytes / 1e6:.1f} MB{stamp}\nmanifest SHA-256 {result.manifest_sha256}\n"
         f"signed by key {result.fingerprint}")


def _print_letter(session, target, language: str, tz, party: str, kind: str) -> None:
    """The draft on stdout; on stderr, each fact left out as uncertain and why."""
    from logger.bundles.letter import draft
    plan, drafted = draft(session, target, language=language, tz=tz, party=party, kind=kind)
    click.echo(drafted.text, nl=False)
    for doubt in plan.uncertain:
        click.echo(f"left out (uncertain): {doubt.what}: {doubt.why}", err=True)
    for fact in drafted.left_out:
        click.echo(f"left out (length limit): {fact}", err=True)


def _build(session, services, target, purpose, language, groups, party, letter: Path | None,
           letter_kind: str, timestamp: bool, out: Path, actor):
    from logger.bundles.build import BundleRequest, build_bundle
    text = letter.read_text(encoding="utf-8") if letter else None
    request = BundleRequest(negotiation=target, purpose=purpose, language=language,
                            groups=groups, party=party, letter=text, timestamp=timestamp,
                            letter_kind=letter_kind)
    return build_bundle(session=session, services=services, request=request, out=out,
                        actor=actor)


def _show_key(services, as_json: bool) -> None:
    from logger.bundles.signing import signing_key
    info = signing_key(services.vault, services.config.storage.data_dir).info()
    emit(info, as_json, f"bundle signing key (Ed25519), made {info['created_at']}\n"
                        f"fingerprint: {info['fingerprint']}\npublic key: {info['public_key']}")


@click.command("verify-bundle")
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
@click.option("--key", default="", help="The fingerprint the bundle's signing key must have "
                                         "(the one its sender gave you); another key fails.")
@click.option("--tsa-ca", default=None, type=click.Path(dir_okay=False),
              help="Root certificate (PEM) of the time-stamp authority "
                   "(default: `bundles.tsa_ca_file`).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def verify_bundle(obj, bundle: Path, key: str, tsa_ca: str | None, as_json: bool) -> None:
    """Check a bundle (ZIP or unpacked folder) the way its verify.py does: every hash, the
    signature, the time-stamp. Without --key, the bundle's signing key is compared with this
    data dir's own: a bundle signed by another key was NOT made by this Liuhen, however well
    its files match its manifest.

    \b
    Exit status 0: intact: the files match the manifest, signed by the key printed
    (--key's, or this Liuhen's own when its data dir has a key).
    Exit status 1: a problem, each one named (with --key: signed by another key).
    Exit status 2: the hashes match but the signature could not be checked.
    Exit status 3: intact, but signed by another key than this Liuhen's: NOT made by this
    Liuhen (someone else made it, or changed it and signed it again). With other problems
    too, the status is 1 and the verdict says both."""
    from logger.bundles.verify import verify_bundle as check
    ca = tsa_ca if tsa_ca is not None else obj.config.bundles.tsa_ca_file
    report = check(bundle, key=key, tsa_ca=ca, local_key="" if key else _local_key(obj))
    emit(report.as_dict(), as_json, report.text())
    sys.exit(report.exit_code)


def _local_key(obj) -> str:
    """This data dir's signing key fingerprint ("" when it has none or it cannot be read)."""
    from logger.bundles.signing import SigningKeyError, local_fingerprint
    from logger.services import vault_place
    place = vault_place(obj.config)  # the key is beside the vault: the data dir or the database
    try:
        return local_fingerprint(obj.config.storage.data_dir, place.secrets)
    except SigningKeyError as e:
        click.echo(f"liuhen: {e}; the bundle is not compared with this Liuhen's key", err=True)
        return ""
    finally:
        place.close()


def register(group: click.Group) -> None:
    group.add_command(export)
    group.add_command(verify_bundle)

