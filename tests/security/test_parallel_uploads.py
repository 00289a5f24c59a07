"""50 uploads at once reach `liuhen serve` and are all stored (issue 19, item 6): none is reset.

The cause, reproduced before the fix: cheroot listened with a backlog of 5. A burst of
connections overflowed the kernel's accept queue; a connection that had already sent its body
while it waited half-open was reset by the kernel about a second later (24 of 50 1 MiB uploads
on a 2-core machine). Serve now listens with `server.backlog` (1024) and queues the connections
it has taken for its `server.threads` (`server.queue_size`). Real `liuhen serve` in a subprocess,
real multipart uploads through the API with a token, over loopback."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

from sqlmodel import func, select

from logger.accounts import add_user
from logger.config import load_config
from logger.config.sections import ServerConfig
from logger.services import Services
from logger.tokens import create_token
from storage.models import Evidence
from tests.support.common import CHEAP_KDF, PASSPHRASE, make_negotiation_in
from tests.support.uploads import CONTENT_TYPE, NoiseUpload
from web import create_app

UPLOADS = 50
SIZE = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_it_answers(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/static/css/liuhen.css")
            probe.getresponse().read()
            probe.close()
            return
        except OSError:
            assert server.poll() is None, server.stdout.read().decode()
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            time.sleep(0.2)


def upload_all_at_once(port: int, negotiation_id: int, token: str) -> list[tuple]:
    bodies = [NoiseUpload(SIZE, filename=f"通话录音 {i}.wav").read() for i in range(UPLOADS)]
    results: list[tuple] = [()] * UPLOADS
    start = threading.Barrier(UPLOADS)

    def upload(i: int) -> None:
        start.wait()
        began = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("POST", f"/api/v1/negotiations/{negotiation_id}/evidence",
                               body=bodies[i],
                               headers={"Content-Type": CONTENT_TYPE,
                                        "Authorization": f"Bearer {token}"})
            reply = connection.getresponse()
            reply.read()
            connection.close()
            results[i] = (reply.status, time.monotonic() - began)
        except OSError as e:
            results[i] = (type(e).__name__, time.monotonic() - began)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(UPLOADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_parallel_uploads_are_all_stored_and_none_is_reset(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    env.update({"LIUHEN_DATA_DIR": str(tmp_path / "data"), "LIUHEN_PASSPHRASE": PASSPHRASE,
                **CHEAP_KDF})
    config = load_config(env=env)
    with Services.create(config, PASSPHRASE) as services, services.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation_id = make_negotiation_in(session, owner).id
        token = create_token(session, owner, "phone")[1]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "logger", "serve", "--port", str(port), "--no-worker",
         "--no-scheduler"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL)
    try:
        wait_until_it_answers(server, port)
        results = upload_all_at_once(port, negotiation_id, token)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    outcomes = Counter(status for status, _ in results)
    assert outcomes == {201: UPLOADS}, (outcomes, output[-2000:])
    with Services.open(config, PASSPHRASE) as services, services.session() as session:
        assert session.exec(select(func.count()).select_from(Evidence)).one() == UPLOADS


def test_the_server_is_sized_by_the_server_section(services):
    from web.cli import make_server
    settings = ServerConfig(threads=3, backlog=77, queue_size=11, queue_timeout_seconds=9)
    server = make_server(create_app(services), settings, "127.0.0.1", 0)
    assert server.request_queue_size == 77
    assert (server.requests.min, server.requests._queue.maxsize,
            server.requests._queue_put_timeout) == (3, 11, 9)
    assert server.max_request_body_size == 0  # intake.max_file_mb is enforced while streaming
    defaults = load_config(env={}).server
    assert (defaults.threads, defaults.backlog) == (8, 1024)
