"""An email's time and its attachments' (issue 13): the Date header is the file's own data; an
attachment is dated by the email it came with, and says so."""

import json
from email.message import EmailMessage

from tests.support.intake import import_files, make_world, run_jobs, show


def test_an_attachment_is_dated_by_its_email(cli, tmp_path):
    world = make_world(cli)
    message = EmailMessage()
    message["From"], message["To"] = "collect@example.com", "me@example.com"
    message["Subject"], message["Date"] = "还款协议", "Tue, 03 Dec 2024 15:30:12 +0800"
    message.set_content("请查收附件中的还款协议。")
    message.add_attachment("双方同意分期还款。".encode(), maintype="text", subtype="plain",
                           filename="协议_20241201.txt")
    path = tmp_path / "mail.eml"
    path.write_bytes(message.as_bytes())
    [item] = import_files(cli, world, path)
    run_jobs(cli)
    shown = show(cli, item)
    assert (shown["occurred_at"], shown["occurred_at_source"]) == ("2024-12-03T15:30:12+08:00",
                                                                   "metadata")
    [child] = [e for e in json_list(cli, world) if e["parent_id"] == item]
    # Not the date in the attachment's name: when it was sent, with the email.
    assert (child["occurred_at"], child["occurred_at_source"],
            child["occurred_at_precision"]) == ("2024-12-03T15:30:12+08:00", "parent", "minute")


def json_list(cli, world) -> list[dict]:
    return json.loads(cli("evidence", "list", "--negotiation", world, "--json").stdout)
