"""`liuhen serve` (and so `make run`) on a port another program holds says so in one line, with
how to choose another port, instead of a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.support.browser import free_port

REPOSITORY = Path(__file__).resolve().parents[2]


def test_a_busy_port_is_one_line_that_says_how_to_choose_another(cli, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = cli("serve", "--host", "127.0.0.1", "--port", port, "--no-worker",
                     "--no-scheduler", env={"LIUHEN_PASSPHRASE": ""})
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"Port {port} on 127.0.0.1 is already in use" in lines[0]
    assert "make run PORT=8080" in lines[0] and "--port 8080" in lines[0]
    assert "Traceback" not in result.output and "is serving" not in result.output


def make_run_plan(*args: str) -> str:
    """The command `make run` would start (`make -n`), run as a make of its own even when the
    tests run under `make test` (no MAKEFLAGS/MAKELEVEL, which add "Entering directory")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    plan = subprocess.run(["make", "--no-print-directory", "-n", "run", *args], cwd=REPOSITORY,
                          text=True, capture_output=True, check=True, env=env).stdout
    [serve] = [line for line in plan.splitlines() if " serve " in line]
    return serve


def test_make_run_takes_the_port_from_PORT():
    port = str(free_port())
    assert f"--port {port}" in make_run_plan(f"PORT={port}")
    assert "--port 8000" in make_run_plan()
