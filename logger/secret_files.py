"""Secrets kept in files named by the config (the vault passphrase, IMAP and SMTP passwords):
the first line of the file, with errors that name the file and the config key."""

from __future__ import annotations

from pathlib import Path

from logger.errors import LiuhenError


def first_line(name: str, *, what: str, key: str, error: type[LiuhenError]) -> str:
    """The first line of the file `name` (~ expanded). Raises `error` when it cannot be read or
    its first line is empty; `what` names the secret ("IMAP password"), `key` the config key."""
    path = Path(name).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise error(f"cannot read the {what} file {path} (config key `{key}`): "
                    f"{e.strerror}") from None
    if not lines or not lines[0]:
        raise error(f"the {what} file {path} is empty")
    return lines[0]
