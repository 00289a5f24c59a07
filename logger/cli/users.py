"""`liuhen user`: accounts (add, password, API tokens) and managing the members of this
Liuhen (list|reset-password|disable|enable|remove, logger.members). The CLI holds the data dir
and acts as the owner."""

from __future__ import annotations

import click

from logger.cli.options import new_secret
from logger.cli.output import emit


def _user_dict(user) -> dict:
    return {"id": user.id, "name": user.name, "role": str(user.role),
            "disabled": user.disabled_at is not None, "removed": user.removed_at is not None,
            "must_change_password": user.must_change_password, "created_at": user.created_at}


def _status(d: dict) -> str:
    return ("removed" if d["removed"] else "disabled" if d["disabled"]
            else "must change password" if d["must_change_password"] else "active")


@click.group()
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May add and manage members.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_add(obj, name: str, admin: bool, as_json: bool) -> None:
    """Add an account (the first one is the owner). Password from a prompt or LIUHEN_PASSWORD."""
    from logger import accounts
    password = new_secret("LIUHEN_PASSWORD", f"Password for {name}", "the password")
    with obj.services().session() as session:
        account = accounts.add_user(session, name, password, admin=admin)
        emit({"id": account.id, "name": account.name, "role": str(account.role)}, as_json,
             f"added user #{account.id} {account.name} ({account.role})")


@user.command("password")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_password(obj, name: str, as_json: bool) -> None:
    """Set account NAME's password and sign out every browser signed in to it. The password
    comes from a prompt (typed twice) or LIUHEN_NEW_PASSWORD."""
    from logger import accounts
    password = new_secret("LIUHEN_NEW_PASSWORD", f"New password for {name}", "the new password")
    with obj.services().session() as session:
        account = accounts.find_user(session, name)
        ended = accounts.set_password(session, account, password)
        emit({"id": account.id, "name": account.name, "sessions_ended": ended}, as_json,
             f"password changed for {account.name}; {ended} browser session(s) signed out")


@user.command("token")
@click.argument("name")
@click.option("--label", default="cli", show_default=True,
              help="What the token is for, e.g. phone (shown in the token list).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_token(obj, name: str, label: str, as_json: bool) -> None:
    """Create an API token for account NAME. It is printed once; only its hash is kept."""
    from logger import accounts
    from logger.tokens import create_token, token_dict
    with obj.services().session() as session:
        token, plaintext = create_token(session, accounts.find_user(session, name), label)
        emit({**token_dict(token), "token": plaintext}, as_json,
             f"API token #{token.id} “{token.name}” for {name} (shown once, keep it safe):\n"
             f"{plaintext}")


@user.command("tokens")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_tokens(obj, name: str, as_json: bool) -> None:
    """List account NAME's API tokens (their prefixes, never the tokens)."""
    from logger import accounts
    from logger.tokens import list_tokens, token_dict
    with obj.services().session() as session:
        data = [token_dict(t) for t in list_tokens(session, accounts.find_user(session, name))]
    lines = [f"#{t['id']:<4} {t['prefix']}…  {t['name']}  created {t['created_at']}"
             + (f"  revoked {t['revoked_at']}" if t["revoked_at"] else "")
             + (f"  last used {t['last_used_at']}" if t["last_used_at"] else "")
             for t in data]
    emit(data, as_json, "\n".join(lines) if lines else f"{name} has no API tokens")


@user.command("revoke-token")
@click.argument("token_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_revoke_token(obj, token_id: int, as_json: bool) -> None:
    """Revoke API token ID: requests with it are refused from now on."""
    from logger.tokens import revoke_token, token_dict
    with obj.services().session() as session:
        token = revoke_token(session, token_id)
        emit(token_dict(token), as_json, f"revoked API token #{token.id} “{token.name}”")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_list(obj, as_json: bool) -> None:
    """The accounts, with their role and whether they can sign in."""
    from logger import accounts
    with obj.services().session() as session:
        data = [_user_dict(u) for u in accounts.list_users(session)]
    lines = [f"#{d['id']:<4} {d['name']:<20} {d['role']:<7} {_status(d)}" for d in data]
    emit(data, as_json, "\n".join(lines) if lines else "no accounts yet")


@user.command("reset-password")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_reset_password(obj, name: str, as_json: bool) -> None:
    """Give account NAME a new password that they must replace when they next sign in, and
    sign out their browsers. The password comes from a prompt (typed twice) or
    LIUHEN_NEW_PASSWORD."""
    from logger import accounts, members
    password = new_secret("LIUHEN_NEW_PASSWORD", f"New password for {name}", "the new password")
    with obj.services().session() as session:
        member = accounts.find_user(session, name)
        ended = members.reset_password(session, by=accounts.default_user(session),
                                       member=member, password=password)
        emit({**_user_dict(member), "sessions_ended": ended}, as_json,
             f"password of {member.name} reset; they choose their own at the next sign-in "
             f"({ended} browser session(s) signed out)")


@user.command("disable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_disable(obj, name: str, as_json: bool) -> None:
    """Account NAME can no longer sign in or use its API tokens; its browsers are signed out."""
    from logger import accounts, members
    with obj.services().session() as session:
        member = accounts.find_user(session, name)
        ended = members.disable(session, by=accounts.default_user(session), member=member)
        emit({**_user_dict(member), "sessions_ended": ended}, as_json,
             f"{member.name} is disabled ({ended} browser session(s) signed out); "
             f"`liuhen user enable {member.name}` undoes it")


@user.command("enable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_enable(obj, name: str, as_json: bool) -> None:
    """Account NAME, disabled, may sign in again."""
    from logger import accounts, members
    with obj.services().session() as session:
        member = accounts.find_user(session, name)
        members.enable(session, by=accounts.default_user(session), member=member)
        emit(_user_dict(member), as_json, f"{member.name} can sign in again")


@user.command("remove")
@click.argument("name")
@click.option("--transfer-to", "transfer_to", metavar="OWNER",
              help="Move the account's negotiations to the owner (named here, as a check); "
                   "without it they stay under the removed account.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_remove(obj, name: str, transfer_to: str | None, as_json: bool) -> None:
    """Remove account NAME: its browsers are signed out, what was shared with it is taken back
    and its name is free again. Nothing it recorded is deleted."""
    from logger import accounts, members
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
    cli.add_command(user)
