"""Email import rate: a generated mbox of N messages, end to end (intake of the mailbox, the jobs
that split it into child items, parsing each message as they go, and the jobs of the
attachments), in one process on this machine, as `liuhen import` + `liuhen transcribe --wait`
would do it; beside the least that storing the messages costs, measured in the same run:
splitting the mbox, parsing each message, hashing it, writing it to a file and fsyncing that.

    .venv/bin/python bench/email_import.py [--messages 1000] [--attachment-every 10]

Goal (issue 17): at least 150 messages/s end to end (the baseline was 376/s on the machine of
the issue, so about 0.4 of it). Prints the mailbox size, the seconds spent in each phase, the CPU
seconds per message, both rates, their ratio and the load average."""

import argparse
import hashlib
import mailbox
import os
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import func, select

from logger.accounts import add_user
from logger.config import load_config
from logger.extract.emails import parse_email
from logger.extract.mailbox import iter_mbox
from logger.intake.ingest import IncomingFile, ingest
from logger.jobs.worker import Worker, handlers
from logger.negotiations import add_negotiation
from logger.services import Services
from storage.models import Evidence, Job, JobKind

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


def baseline(mbox: Path, out: Path, tz) -> float:
    """Seconds to split the mbox, parse each message, hash it and write it to a file of its own
    with an fsync."""
    out.mkdir()
    started = time.perf_counter()
    with open(mbox, "rb") as stream:
        for message in iter_mbox(stream, max_message_bytes=1 << 30):
            parse_email(message.data, tz=tz)
            digest = hashlib.sha256(message.data).hexdigest()
            with open(out / digest, "wb") as copy:
                copy.write(message.data)
                copy.flush()
                os.fsync(copy.fileno())
    return time.perf_counter() - started


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
        base_s = baseline(mbox, Path(tmp) / "copies", config.locale.zone)
        with Services.create(config, PASSPHRASE) as services:
            with services.session() as session:
                owner = add_user(session, "bench", "bench-password")
                negotiation = add_negotiation(session, owner=owner, creditor="信用飞")
                started, cpu_started = time.perf_counter(), time.process_time()
                with open(mbox, "rb") as stream:
                    box = ingest(session=session, blobs=services.blobs,
                                 source=IncomingFile(stream, mbox.name), negotiation=negotiation,
                                 actor=owner, max_bytes=config.intake.max_file_bytes,
                                 tz=config.locale.zone)
                # What `liuhen import` queues once the person confirmed a large mailbox.
                job = session.exec(select(Job).where(Job.evidence_id == box.id)).one()
                job.options = {"allow_many": True}
                session.add(job)
                session.commit()
            intake_s = time.perf_counter() - started
            found = {k: v for k, v in handlers().items()
                     if k in (JobKind.parse_email, JobKind.extract_text)}
            worker = Worker(services, handlers=found, lease_s=300, poll_s=1)
            jobs_started = time.perf_counter()
            jobs = worker.run_until_idle()
            jobs_s = time.perf_counter() - jobs_started
            cpu_s = time.process_time() - cpu_started
            with services.session() as session:
                items = session.exec(select(func.count(Evidence.id))).one()
    total_s = intake_s + jobs_s
    print(f"mbox: {args.messages} messages, {size / 1e6:.1f} MB; "
          f"{items} items stored (mailbox, messages, attachments); {jobs} jobs run")
    print(f"intake of the mailbox {intake_s:.2f} s, jobs {jobs_s:.1f} s, "
          f"total {total_s:.1f} s")
    rate, base_rate = args.messages / total_s, args.messages / base_s
    print(f"CPU of this process meanwhile: {cpu_s:.1f} s, {cpu_s / args.messages * 1000:.1f} ms "
          "per message (what the load does not change)")
    print(f"split + parse + hash + write + fsync baseline: {base_rate:.1f} messages/s")
    print(f"email import rate: {rate:.1f} messages/s end to end ({rate / base_rate:.2f} of "
          "the baseline; goal 150/s)")
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
