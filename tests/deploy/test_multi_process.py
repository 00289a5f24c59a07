"""A shared deployment really spans machines (issue 18): PostgreSQL, SeaweedFS, two web servers,
two workers and one scheduler, each a separate process with its own data dir and no shared
folder. Uploads go through both web servers, transcription and OCR run on the workers, the
originals and a bundle come back from the other web server, signing out on one server ends the
session on the other, a worker killed in the middle of a job has its job finished by the other
one, and `liuhen verify` is clean at the end."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import psycopg
import pytest

from tests.support.common import wait_for
from tests.support.deployment import PASSWORD, Api, Deployment, s3_environment
from tests.support.pg import _psycopg_dsn

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def deployment(tmp_path, postgres_db_url, seaweed, s3_bucket):
    running = Deployment(tmp_path, postgres_db_url, s3_environment(seaweed, s3_bucket))
    try:
        yield running
    finally:
        running.stop_all()


def jobs_of(database_url: str, evidence_id: int) -> list[tuple]:
    with psycopg.connect(_psycopg_dsn(database_url)) as conn:
        return conn.execute("SELECT id, kind, status, worker_id, attempts FROM job "
                            "WHERE evidence_id = %s ORDER BY id", (evidence_id,)).fetchall()


def all_jobs_done(api: Api, ids: list[int]) -> bool:
    for evidence_id in ids:
        jobs = api.json("GET", f"/evidence/{evidence_id}")["jobs"]
        assert not any(j["status"] == "failed" for j in jobs), jobs
        if not jobs or any(j["status"] != "done" for j in jobs):
            return False
    return True


def test_two_web_servers_two_workers_and_a_scheduler_share_nothing_but_the_database_and_bucket(
        deployment, testdata, browser):
    d = deployment
    token = d.set_up()

    web1, web2 = d.start_web("web1"), d.start_web("web2")
    api1, api2 = Api(web1.url, token), Api(web2.url, token)
    d.start("scheduler", "scheduler", "--poll", "2")
    d.start("worker1", "worker")
    d.start("worker2", "worker")
    negotiation = api1.json("POST", "/negotiations", {"creditor": "信用飞"})["id"]

    # A call through the first server; whichever worker takes its transcription is killed in
    # the middle of it, and the other one finishes the job once the dead one's lease ends.
    files = {"jfk.flac": (testdata / "audio" / "jfk.flac").read_bytes()}
    call = api1.upload(negotiation, "jfk.flac", files["jfk.flac"])["results"][0]["id"]

    def running_job():
        return next((j for j in jobs_of(d.database_url, call) if j[2] == "running"), None)
    wait_for(lambda: running_job() is not None, 120, "a worker to take the transcription")
    pid = int(running_job()[3].split(":")[1])
    killed = next(name for name, p in d.processes.items() if p.popen.pid == pid)
    d.kill(killed)

    # Meanwhile more evidence through the second server: a Mandarin call, a chat screenshot.
    files["普通话.wav"] = (testdata / "audio" / "BAC009S0764W0121.wav").read_bytes()
    files["聊天.png"] = (testdata / "images" / "cnocr_multi-line_cn1_chat_bubble_white.png"
                       ).read_bytes()
    ids = {"jfk.flac": call}
    for name in ("普通话.wav", "聊天.png"):
        ids[name] = api2.upload(negotiation, name, files[name])["results"][0]["id"]

    wait_for(lambda: all_jobs_done(api2, list(ids.values())), 420, "every job to finish\n"
             + d.logs())
    transcription = jobs_of(d.database_url, call)[0]
    survivor = "worker2" if killed == "worker1" else "worker1"
    assert transcription[4] == 2, transcription  # claimed twice: the killed worker, the other
    assert int(transcription[3].split(":")[1]) == d.processes[survivor].popen.pid
    for evidence_id in ids.values():
        assert all(j[2] == "done" for j in jobs_of(d.database_url, evidence_id))
    said = " ".join(t["text"] for t in api1.json("GET", f"/evidence/{call}")["texts"])
    assert "country" in said.lower(), said
    read = " ".join(t["text"] for t in api1.json("GET", f"/evidence/{ids['聊天.png']}")["texts"])
    assert read.strip(), "the OCR found no text in the chat screenshot"

    # Each original comes back, byte for byte, from the server it was not uploaded through.
    for name, evidence_id in ids.items():
        other = api2 if name == "jfk.flac" else api1
        status, data = other.request("GET", f"/evidence/{evidence_id}/original")
        assert status == 200 and hashlib.sha256(data).digest() == \
            hashlib.sha256(files[name]).digest(), name
    found = api2.json("GET", "/search?q=country")["results"]
    assert [r["evidence_id"] for r in found] == [call]

    # A person signs in on the first server; the second knows the session (one database), a
    # bundle exported there holds every original, and signing out on the first ends it on both.
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(web1.url + "/login")
    page.fill("#login-name", "owner")
    page.fill("#login-password", PASSWORD)
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{web2.url}/negotiations/{negotiation}/bundle")
    assert "/login" not in page.url
    with page.expect_download(timeout=120_000) as download:
        page.click("[data-testid=export]")
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as bundle:
        inside = {hashlib.sha256(bundle.read(n)).hexdigest() for n in bundle.namelist()}
    assert {hashlib.sha256(data).hexdigest() for data in files.values()} <= inside
    page.goto(f"{web1.url}/negotiations/{negotiation}")
    page.click("[data-testid=sign-out] button")
    page.wait_for_url(lambda url: "/login" in url)
    page.goto(f"{web2.url}/negotiations/{negotiation}")
    assert "/login" in page.url
    context.close()

    # No process kept the vault or a blob in its own data dir; the record is whole.
    for name in ("web1", "web2", "worker1", "worker2", "scheduler"):
        data_dir = d.root / name / "data"
        kept = {p.name for p in data_dir.iterdir()} if data_dir.exists() else set()
        assert not kept & {"vault.json", "blobs", "signing-key.enc", "liuhen.db"}, (name, kept)
    verified = d.admin("verify", "--json")
    assert json.loads(verified.stdout)["ok"] is True, verified.stdout
