"""The shared deployment of docs/DEPLOY.md, started for real on loopback: every Liuhen process
in a subprocess of its own, each with its **own data dir** (nothing shared through a folder),
all over one PostgreSQL database and one S3 bucket (SeaweedFS), unlocking the vault kept in
the database with a key file of their own (a copy of the one `liuhen vault add-key-file`
made), as the services of a real deployment would.

`Deployment.admin(...)` runs a one-off command as the administrator (with the passphrase);
`Deployment.start(name, ...)` starts a long-running process (`serve`, `worker`, `scheduler`)
whose output goes to `<root>/<name>.log`; `stop_all()` ends them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.browser import free_port
from tests.support.common import CHEAP_KDF, PASSPHRASE, wait_for

PASSWORD = "a long password for the owner"


def s3_environment(seaweed, bucket: str) -> dict[str, str]:
    """The LIUHEN_* variables that put the blobs in `bucket` of the SeaweedFS `seaweed`."""
    return {"LIUHEN_STORAGE_BLOB_STORE": "s3", "LIUHEN_STORAGE_S3_ENDPOINT": seaweed.endpoint,
            "LIUHEN_STORAGE_S3_REGION": seaweed.region, "LIUHEN_STORAGE_S3_BUCKET": bucket,
            "LIUHEN_STORAGE_S3_ACCESS_KEY": seaweed.access_key,
            "LIUHEN_S3_SECRET_KEY": seaweed.secret_key}


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    url: str = ""

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Deployment:
    root: Path
    database_url: str
    s3: dict[str, str]  # LIUHEN_* variables naming the bucket and its credentials
    lease_seconds: int = 6
    processes: dict[str, Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def key_file(self) -> Path:
        return self.root / "admin" / "service.key"

    def env(self, name: str, *, passphrase: bool = False) -> dict[str, str]:
        """The environment of process `name`: its own data dir, the shared database and bucket,
        the vault in the database, and (unless `passphrase`) its own copy of the key file.
        Without a database URL: the one-machine default instead (every process on one data
        dir with SQLCipher and the local blob folder, unlocked with the passphrase)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
        env.update(CHEAP_KDF)
        if not self.database_url:
            env.update({"LIUHEN_DATA_DIR": str(self.root / "data"),
                        "LIUHEN_PASSPHRASE": PASSPHRASE})
            return env
        home = self.root / name
        home.mkdir(parents=True, exist_ok=True)
        env.update(self.s3)
        env.update({
            "LIUHEN_DATA_DIR": str(home / "data"),
            "LIUHEN_DATABASE_URL": self.database_url,
            "LIUHEN_STORAGE_VAULT_IN": "database",
            "LIUHEN_WORKER_LEASE_SECONDS": str(self.lease_seconds),
            "LIUHEN_WORKER_POLL_SECONDS": "1",
        })
        if passphrase:
            env["LIUHEN_PASSPHRASE"] = PASSPHRASE
        else:
            own_key = home / "service.key"
            if not own_key.exists():
                shutil.copyfile(self.key_file, own_key)
                own_key.chmod(0o600)
            env["LIUHEN_KEY_FILE"] = str(own_key)
        return env

    def set_up(self) -> str:
        """First start, as docs/DEPLOY.md tells it: the vault, a key file for the services
        (shared deployments), the owner's account; returns an API token of the owner's."""
        self.admin("init")
        if self.database_url:
            self.admin("vault", "add-key-file", str(self.key_file))
        self.admin("user", "add", "owner", LIUHEN_PASSWORD=PASSWORD)
        created = self.admin("user", "token", "owner", "--label", "test", "--json")
        return json.loads(created.stdout)["token"]

    def admin(self, *args: str, **extra: str) -> subprocess.CompletedProcess:
        """`liuhen ARGS` as the administrator; fails the test with its output if it fails."""
        done = subprocess.run([sys.executable, "-m", "logger", *args],
                              env={**self.env("admin", passphrase=True), **extra},
                              cwd=self.root, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"liuhen {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def start(self, name: str, *args: str) -> Process:
        log = self.root / f"{name}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen([sys.executable, "-m", "logger", *args],
                                     env=self.env(name), cwd=self.root, stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def start_web(self, name: str, *, worker: bool = False) -> Process:
        """`liuhen serve` without the scheduler (and without a worker unless `worker`), once
        it reports itself ready (/readyz)."""
        port = free_port()
        process = self.start(name, "serve", *(() if worker else ("--no-worker",)),
                             "--no-scheduler", "--host", "127.0.0.1", "--port", str(port))
        process.url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert process.popen.poll() is None, process.output()
            try:
                with urllib.request.urlopen(process.url + "/readyz", timeout=2) as reply:
                    return reply.status == 200
            except (OSError, urllib.error.HTTPError):
                return False
        wait_for(ready, 120, f"{name} to be ready")
        return process

    def kill(self, name: str) -> None:
        self.processes[name].popen.send_signal(signal.SIGKILL)
        self.processes[name].popen.wait()

    def logs(self) -> str:
        return "\n".join(f"----- {p.name}\n{p.output()[-4000:]}" for p in self.processes.values())

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes.values():
            try:
                process.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()


class Api:
    """The JSON API of one web server, with a bearer token."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if content_type:
            headers["Content-Type"] = content_type
        call = urllib.request.Request(self.url + "/api/v1" + path, data=body, method=method,
                                      headers=headers)
        try:
            with urllib.request.urlopen(call, timeout=120) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json(self, method: str, path: str, payload: dict | None = None) -> dict:
        body = None if payload is None else json.dumps(payload).encode()
        status, raw = self.request(method, path, body,
                                   "application/json" if payload is not None else None)
        assert status < 300, (status, raw[:500])
        return json.loads(raw)

    def upload(self, negotiation_id: int, name: str, data: bytes) -> dict:
        boundary = "liuhen-deployment-test"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        status, raw = self.request("POST", f"/negotiations/{negotiation_id}/evidence", body,
                                   f"multipart/form-data; boundary={boundary}")
        assert status == 201, (status, raw[:500])
        return json.loads(raw)
