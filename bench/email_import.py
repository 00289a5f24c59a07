"""Email import rate: a generated mbox of N messages, end to end (intake of the mailbox, the job
that splits it into child items, and every message's own parse job), in one process on this
machine, as `liuhen import` + `liuhen transcribe --wait` would do it.

    .venv/bin/python bench/email_import.py [--messages 1000] [--attachment-every 10]

Prints the mailbox size, the seconds spent in each phase, and messages per second overall."""

import argparse
import mailbox
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import func, select

from logger.accounts import add_user
from logger.config import load_config
from logger.intake.ingest import IncomingFile, ingest
from logger.jobs.worker import Worker, handlers
from logger.negotiations import add_negotiation
from logger.services import Services
from storage.models import Evidence, JobKind

PASSPHRASE = "email bench passphrase"
CHEAP = {"LIUHEN_VAULT_KDF_MEMORY_MIB": "8", "LIUHEN_VAULT_KDF_ITERATIONS": "1"}


def build_mbox(path: Path, count: int, attachment_every: int) -> None:
    """Collector mail of the usual mix: UTF-8 and GBK bodies, some with an HTML part, every
    `attachment_every`-th with a small attachment."""
    box = mailbox.mbox(path)
    for number in range(count):
        message = EmailMessage()
        message["From"] = f"催收专员{number % 7} <cs{number % 7}@lender.example.cn>"
        message["To"] = "me@example.cn"
        message["Subject"] = f"第{number}次还款提醒：您的借款已逾期"
        message["Date"] = f"Tue, {1 + number % 28:02d} Oct 2024 15:{number % 60:02d}:00 +0800"
        message["Message-ID"] = f"<{number}@lender.example.cn>"
        body = (f"尊敬的客户：您的借款已逾期{number % 90 + 1}天，待还{1000 + number}元。"
                "请于今日18:00前还款，否则将影响您的征信。\n" * 3)
        if number % 3 == 0:
            message.set_content(body, charset="gbk", cte="8bit")
        else:
            message.set_content(body)
            message.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
        if attachment_every and number % attachment_every == 0:
            message.add_attachment(f"还款计划 {number}".encode(), maintype="text",
                                   subtype="plain", filename=f"还款计划{number}.txt")
        box.add(message)
    box.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--attachment-every", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mbox = Path(tmp) / "export.mbox"
        build_mbox(mbox, args.messages, args.attachment_every)
        size = mbox.stat().st_size
        config = load_config(env={"LIUHEN_DATA_DIR": str(Path(tmp) / "data"), **CHEAP})
        with Services.create(config, PASSPHRASE) as services:
            with services.session() as session:
                owner = add_user(session, "bench", "bench-password")
                negotiation = add_negotiation(session, owner=owner, creditor="信用飞")
                started = time.perf_counter()
                with open(mbox, "rb") as stream:
                    ingest(session=session, blobs=services.blobs,
                           source=IncomingFile(stream, mbox.name), negotiation=negotiation,
                           actor=owner, max_bytes=config.intake.max_file_bytes,
                           tz=config.locale.zone)
            intake_s = time.perf_counter() - started
            found = {k: v for k, v in handlers().items()
                     if k in (JobKind.parse_email, JobKind.extract_text)}
            worker = Worker(services, handlers=found, lease_s=300, poll_s=1)
            jobs_started = time.perf_counter()
            jobs = worker.run_until_idle()
            jobs_s = time.perf_counter() - jobs_started
            with services.session() as session:
                items = session.exec(select(func.count(Evidence.id))).one()
    total_s = intake_s + jobs_s
    print(f"mbox: {args.messages} messages, {size / 1e6:.1f} MB; "
          f"{items} items stored (mailbox, messages, attachments); {jobs} jobs run")
    print(f"intake of the mailbox {intake_s:.2f} s, jobs {jobs_s:.1f} s, "
          f"total {total_s:.1f} s")
    print(f"email import rate: {args.messages / total_s:.1f} messages/s end to end")


if __name__ == "__main__":
    main()
