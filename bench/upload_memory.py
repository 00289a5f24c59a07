"""Memory of a real `liuhen serve` process while a browser-style upload of ~1 GB arrives over
HTTP: resident memory (VmRSS from /proc, sampled every 50 ms) before, at its peak and after, and
how many bytes the server process wrote to disk (/proc/PID/io write_bytes). Goal: growth under
100 MB. The blob store writes the file once, encrypted (~1.0x the upload); anything well above
that means the server spooled the plaintext body to a temporary file first.

The payload is a WAV header followed by random noise, generated while it is sent: it never
exists as a whole, in memory or on disk.

    .venv/bin/python bench/upload_memory.py [--size-mb 1000] [--server werkzeug]

`--server werkzeug` runs the same app under werkzeug's threaded server instead of `liuhen serve`
(cheroot), for comparison. (Before cheroot, serve used waitress, which received the whole body
into a plaintext temporary file before the app saw it: 2.0x the upload written to disk.)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BOUNDARY = "----LiuhenBenchBoundary0123456789"
PASSPHRASE = "bench passphrase"
PASSWORD = "bench-password"
SEND_BLOCK = 1 << 20


def wav_header(data_bytes: int, rate: int = 16000) -> bytes:
    def u32(v: int) -> bytes:
        return (v & 0xFFFFFFFF).to_bytes(4, "little")
    return (b"RIFF" + u32(36 + data_bytes) + b"WAVEfmt " + u32(16) + (1).to_bytes(2, "little")
            + (1).to_bytes(2, "little") + u32(rate) + u32(rate * 2) + (2).to_bytes(2, "little")
            + (16).to_bytes(2, "little") + b"data" + u32(data_bytes))


def payload(size: int) -> tuple[int, object]:
    """(length, generator of the multipart body holding one WAV file of `size` bytes)."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"bench-call.wav\"\r\nContent-Type: audio/wav\r\n\r\n").encode()
    head += wav_header(size - 44)
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    noise = os.urandom(SEND_BLOCK)

    def body():
        yield head
        left = size - 44
        while left > 0:
            n = min(left, SEND_BLOCK)
            yield os.urandom(16)[:min(16, n)] + noise[16:n]  # no two blocks alike
            left -= n
        yield tail
    return len(head) + size - 44 + len(tail), body()


class Browser:
    """Just enough of a browser: one connection, cookies, the CSRF token from a page."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers=None, timeout=600):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
        for header in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return reply.status, data

    def token(self, path: str = "/login") -> str:
        _, page = self.request("GET", path)
        return re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def written_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError("no write_bytes")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def liuhen(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "logger", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def wait_until_serving(browser: Browser, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("liuhen serve exited")
        try:
            browser.request("GET", "/login", timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("liuhen serve did not answer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1000)
    parser.add_argument("--server", choices=["liuhen-serve", "werkzeug"], default="liuhen-serve")
    parser.add_argument("--serve-werkzeug-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_werkzeug_child:
        serve_with_werkzeug(args.serve_werkzeug_child)
        return
    size = args.size_mb * 1024 * 1024
    port = free_port()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        env = {**os.environ, "LIUHEN_DATA_DIR": str(Path(tmp) / "data"),
               "LIUHEN_PASSPHRASE": PASSPHRASE, "LIUHEN_PASSWORD": PASSWORD,
               "LIUHEN_VAULT_KDF_MEMORY_MIB": "8", "LIUHEN_VAULT_KDF_ITERATIONS": "1",
               "LIUHEN_SERVER_PORT": str(port), "LIUHEN_INTAKE_MAX_FILE_MB": "2048"}
        liuhen(env, "init")
        liuhen(env, "user", "add", "bench")
        liuhen(env, "negotiation", "add", "--creditor", "信用飞")
        command = [sys.executable, "-m", "logger", "serve", "--no-worker"]
        if args.server == "werkzeug":
            command = [sys.executable, __file__, "--serve-werkzeug-child", str(port)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            run(server, port, size, args.server)
        finally:
            server.terminate()
            server.wait(30)


def serve_with_werkzeug(port: int) -> None:
    from werkzeug.serving import run_simple

    from logger.config import load_config
    from logger.services import Services, read_passphrase
    from web import create_app
    config = load_config()
    services = Services.open(config, read_passphrase(config))
    run_simple("127.0.0.1", port, create_app(services), threaded=True)


def run(server: subprocess.Popen, port: int, size: int, name: str) -> None:
    browser = Browser(port)
    wait_until_serving(browser, server)
    status, _ = browser.request("POST", "/login", body=(
        f"name=bench&password={PASSWORD}&csrf_token={browser.token()}").encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302, status
    token = browser.token("/")
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_kb(server.pid))
            time.sleep(0.05)
    before_rss, before_written = rss_kb(server.pid), written_bytes(server.pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    length, body = payload(size)
    started = time.perf_counter()
    status, reply = browser.request(
        "POST", "/negotiations/1/upload", body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                 "Content-Length": str(length), "Accept": "application/json",
                 "X-CSRFToken": token}, timeout=3600)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    after_rss, written = rss_kb(server.pid), written_bytes(server.pid) - before_written
    peak = max(samples)
    print(f"upload of {size / 2**20:.0f} MiB ({length} bytes of multipart) to {name}: "
          f"HTTP {status} in {elapsed:.1f} s ({size / 2**20 / elapsed:.0f} MiB/s)")
    try:
        print("result:", json.loads(reply)["results"][0]["status"])
    except (ValueError, KeyError):
        print("reply:", reply[:300])
    print(f"server RSS: before {before_rss / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, "
          f"after {after_rss / 1024:.1f} MiB -> growth {(peak - before_rss) / 1024:.1f} MiB "
          f"({len(samples)} samples)")
    print(f"server disk writes during the upload: {written / 2**20:.0f} MiB "
          f"({written / size:.2f}x the file; the encrypted blob is ~1.0x)")


if __name__ == "__main__":
    main()
