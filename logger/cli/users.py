"""`liuhen user list|reset-password|disable|enable|remove`: managing the members of this
Liuhen (logger.members). The CLI holds the data dir and acts as the owner."""

from __future__ import annotations

import click

from logger import accounts, members
from logger.cli.options import new_secret
from logger.cli.output import emit


def _user_dict(user) -> dict:
    return {"id": user.id, "name": user.name, "role": str(user.role),
            "disabled": user.disabled_at is not None, "removed": user.removed_at is not None,
            "must_change_password": user.must_change_password, "created_at": user.created_at}


def _status(d: dict) -> str:
    return ("removed" if d["removed"] else "disabled" if d["disabled"]
            else "must change password" if d["must_change_password"] else "active")


@click.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_list(obj, as_json: bool) -> None:
    """The accounts, with their role and whether they can sign in."""
    with obj.services().session() as session:
        data = [_user_dict(u) for u in accounts.list_users(session)]
    lines = [f"#{d['id']:<4} {d['name']:<20} {d['role']:<7} {_status(d)}" for d in data]
    emit(data, as_json, "\n".join(lines) if lines else "no accounts yet")


@click.command("reset-password")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_reset_password(obj, name: str, as_json: bool) -> None:
    """Give account NAME a new password that they must replace when they next sign in, and
    sign out their browsers. The password comes from a prompt (typed twice) or
    LIUHEN_NEW_PASSWORD."""
    password = new_secret("LIUHEN_NEW_PASSWORD", f"New password for {name}", "the new password")
    with obj.services().session() as session:
        member = accounts.find_user(session, name)
        ended = members.reset_password(session, by=accounts.default_user(session),
                                       member=member, password=password)
        emit({**_user_dict(member), "sessions_ended": ended}, as_json,
             f"password of {member.name} reset; they choose their own at the next sign-in "
             f"({ended} browser session(s) signed out)")


@click.command("disable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_disable(obj, name: str, as_json: bool) -> None:
    """Account NAME can no longer sign in or use its API tokens; its browsers are signed out."""
    with obj.services().session() as session:
        member = accounts.find_user(session, name)
        ended = members.disable(session, by=accounts.default_user(session), member=member)
        emit({**_user_dict(member), "sessions_ended": ended}, as_json,
             f"{member.name} is disabled ({ended} browser session(s) signed out); "
             f"`liuhen user enable {member.name}` undoes it")


@click.command("enable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_enable(obj, name: str, as_json: bool) -> None:
    """Account NAME, disabled, may sign in again."""
    with obj.services().session() as session:
        member = accounts.find_user(session, name)
        members.enable(session, by=accounts.default_user(session), member=member)
        emit(_user_dict(member), as_json, f"{member.name} can sign in again")


@click.command("remove")
@click.argument("name")
@click.option("--transfer-to", "transfer_to", metavar="OWNER",
              help="Move the account's negotiations to the owner (named here, as a check); "
                   "without it they stay under the removed account.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_remove(obj, name: str, transfer_to: str | None, as_json: bool) -> None:
    """Remove account NAME: its browsers are signed out, what was shared with it is taken back
    and its name is free again. Nothing it recorded is deleted."""
    with obj.services().session() as session:
        owner = accounts.default_user(session)
        if transfer_to is not None and accounts.normalize_name(transfer_to) != owner.name:
            raise click.UsageError(f"--transfer-to must name the owner, {owner.name}: "
                                   "negotiations can only be moved to the owner")
        member = accounts.find_user(session, name)
        moved = members.remove(session, by=owner, member=member,
                               transfer=transfer_to is not None)
        emit({**_user_dict(member), "transferred": moved}, as_json,
             f"{name} removed; {len(moved)} negotiation(s) moved to {owner.name}" if transfer_to
             else f"{name} removed; its negotiations stay under the removed account")


def register(cli: click.Group) -> None:
    """Adds the commands to the `user` group of logger.cli.main."""
    group = cli.commands["user"]
    for command in (user_list, user_reset_password, user_disable, user_enable, user_remove):
        group.add_command(command)
