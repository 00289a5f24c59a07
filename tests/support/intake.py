"""CLI helpers shared by the intake tests (emails, documents, watched folders): import files,
run every queued job with `liuhen transcribe --wait`, read items back as `--json` prints them."""

import json


def make_world(cli) -> int:
    """Init a data dir with one account and one negotiation; returns the negotiation's id."""
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    out = cli("negotiation", "add", "--creditor", "信用飞", "--json")
    return json.loads(out.stdout)["id"]


def import_files(cli, negotiation, *paths, env=None) -> list[int]:
    out = cli("import", "--negotiation", negotiation, *paths, "--json", env=env)
    assert out.exit_code == 0, out.output
    return [row["id"] for row in json.loads(out.stdout)]


def run_jobs(cli, env=None) -> list[dict]:
    """Run every queued job; each must end done."""
    run = cli("transcribe", "--wait", "--json", env=env)
    jobs = json.loads(run.stdout)
    assert run.exit_code == 0, jobs
    return jobs


def show(cli, item) -> dict:
    return json.loads(cli("show", item, "--json").stdout)


def listing(cli, negotiation) -> list[dict]:
    return json.loads(cli("evidence", "list", "--negotiation", negotiation, "--json").stdout)
