"""Why a job failed is shown in the reader's language (issue 20: refusal messages from the
domain are translated in the Chinese UI): the worker keeps a reason raised as a translatable
message in every language beside its English, and the pages pick the reader's."""

from __future__ import annotations

import io

from sqlmodel import select

from logger.intake.ingest import IncomingFile, ingest
from logger.jobs.worker import Worker, handlers
from storage.models import Job
from tests.support.web import page_text


def failed_pdf(services, session, negotiation, owner):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(b"%PDF-1.7\n" + b"\x00garbage" * 50),
                                      "协议.pdf"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                  tz=services.config.locale.zone)
    Worker(services, handlers=handlers(), lease_s=60, poll_s=1,
           evidence_id=item.id).run_until_idle()
    return item


def test_a_failed_jobs_reason_is_kept_in_each_language(services, session, negotiation, owner):
    item = failed_pdf(services, session, negotiation, owner)
    session.expire_all()
    job = session.exec(select(Job).where(Job.evidence_id == item.id)).one()
    assert job.status == "failed"
    assert job.error.startswith("the PDF cannot be opened: ")         # the CLI and the logs
    assert job.error_texts["en"] == job.error
    assert job.error_texts["zh"].startswith("PDF 无法打开：")


def test_the_evidence_page_gives_the_reason_in_the_readers_language(
        services, session, negotiation, owner, client):
    item = failed_pdf(services, session, negotiation, owner)
    for language, reason, other in (("zh", "PDF 无法打开", "the PDF cannot be opened"),
                                    ("en", "the PDF cannot be opened", "PDF 无法打开")):
        owner.locale = language
        session.add(owner)
        session.commit()
        text = page_text(client.get(f"/evidence/{item.id}"))
        assert reason in text and other not in text, (language, text[:2000])
