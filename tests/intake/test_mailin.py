"""Mail-in (logger.intake.mailin, `liuhen mail-in`) against a real IMAP server on loopback: pymap, a
pure-Python IMAP server from PyPI, with its in-memory backend. Messages are put in with IMAP
APPEND, as a mail client would file them."""

import imaplib
import json
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from logger.intake.mailin import STATE_FILE
from tests.support.intake import make_world, run_jobs, show

USER, PASSWORD = "me@example.cn", "imap-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def imap_server():
    """Start pymap on a free loopback port; yield a function that (re)starts it empty."""
    pymap = Path(sys.executable).with_name("pymap")
    port, process = free_port(), None

    def start() -> int:
        nonlocal process
        if process is not None:
            process.terminate()
            process.wait(10)
        process = subprocess.Popen(
            [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--no-tls",
             "--no-service", "admin", "dict", "--demo-user", USER, "--demo-password", PASSWORD],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port
            except OSError:
                assert process.poll() is None, "pymap exited"
                assert time.monotonic() < deadline, "pymap did not start"
                time.sleep(0.1)

    yield start
    if process is not None:
        process.terminate()
        process.wait(10)


def append(port: int, *messages: bytes) -> None:
    with imaplib.IMAP4("127.0.0.1", port) as imap:
        imap.login(USER, PASSWORD)
        for message in messages:
            assert imap.append("INBOX", None, None, message)[0] == "OK"


def unseen(port: int) -> int:
    with imaplib.IMAP4("127.0.0.1", port) as imap:
        imap.login(USER, PASSWORD)
        imap.select("INBOX", readonly=True)
        return len(imap.search(None, "UNSEEN")[1][0].split())


def collector_mail(number: int) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = "催收中心 <cs@lender.cn>", USER
    message["Subject"], message["Date"] = f"第{number}次还款提醒", "Tue, 03 Dec 2024 15:30:00 +0800"
    message.set_content(f"请于今日还款，第{number}次提醒。")
    return message.as_bytes().replace(b"\n", b"\r\n")


def mail_env(port: int, negotiation: int) -> dict[str, str]:
    return {"LIUHEN_MAILIN_HOST": "127.0.0.1", "LIUHEN_MAILIN_PORT": str(port),
            "LIUHEN_MAILIN_SSL": "false", "LIUHEN_MAILIN_USER": USER,
            "LIUHEN_MAILIN_PASSWORD": PASSWORD, "LIUHEN_MAILIN_NEGOTIATION": str(negotiation),
            "LIUHEN_INTAKE_MY_ADDRESSES": USER}


def test_new_messages_are_stored_once_and_left_unread(cli, imap_server, tmp_path):
    negotiation = make_world(cli)
    port = imap_server()
    append(port, collector_mail(1), collector_mail(2))
    env = mail_env(port, negotiation)

    first = cli("mail-in", "--json", env=env)
    assert first.exit_code == 0, first.output
    outcomes = json.loads(first.stdout)
    assert [o["status"] for o in outcomes] == ["stored", "stored"]
    assert unseen(port) == 2                       # nothing changed on the server
    assert json.loads(cli("mail-in", "--json", env=env).stdout) == []

    append(port, collector_mail(3))
    [third] = json.loads(cli("mail-in", "--json", env=env).stdout)
    assert third["status"] == "stored"
    run_jobs(cli, env=env)
    shown = show(cli, third["evidence_id"])
    assert shown["subject"] == "第3次还款提醒" and shown["direction"] == "from_them"
    assert "第3次提醒" in shown["texts"][0]["text"]
    assert json.loads((tmp_path / "data" / STATE_FILE).read_text())["last_uid"] > 0

    # The server starts over (a new UIDVALIDITY): what is already stored counts as duplicate.
    port = imap_server()
    append(port, collector_mail(1), collector_mail(4))
    again = json.loads(cli("mail-in", "--json", env=mail_env(port, negotiation)).stdout)
    assert [o["status"] for o in again] == ["duplicate", "stored"]
    assert again[0]["evidence_id"] == outcomes[0]["evidence_id"]


def test_wrong_password_and_no_server_are_plain_errors(cli, imap_server):
    negotiation = make_world(cli)
    port = imap_server()
    env = {**mail_env(port, negotiation), "LIUHEN_MAILIN_PASSWORD": "wrong"}
    refused = cli("mail-in", env=env)
    assert refused.exit_code == 1 and "refused the login of me@example.cn" in refused.stderr
    nothing = cli("mail-in")
    assert nothing.exit_code == 1 and "no IMAP server is configured" in nothing.stderr
    closed = cli("mail-in", env=mail_env(free_port(), negotiation))
    assert closed.exit_code == 1 and closed.stderr.startswith("liuhen: IMAP 127.0.0.1:")
