"""`liuhen` starts without importing what its other commands need: `--help` lists every command
from the summaries in logger.cli.main.COMMANDS, a command imports only its own modules, its
`--help` none of the database layer, and reading a data dir at head no migration tool.
(How fast that is: bench/cli_startup.py; a test does not time it.)"""

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from importlib.metadata import entry_points
from types import ModuleType

import click
import pytest

import logger.cli
from logger.cli.main import COMMANDS, cli

# Loaded by `liuhen --help` before the commands were loaded lazily: the web app, the database
# layer, the PDF writer, the document and e-mail parsers, the Chinese number parser.
HEAVY = ("flask", "werkzeug", "jinja2", "cheroot", "sqlalchemy", "sqlmodel", "pydantic",
         "alembic", "sqlcipher3", "cryptography", "argon2", "reportlab", "PIL", "pypdf", "docx",
         "extract_msg", "cn2an", "lxml", "faster_whisper", "ctranslate2", "boto3",
         "storage.models", "storage.db", "logger.services", "web.app")
# Not needed by the job commands, which do open the database.
NOT_FOR_JOBS = ("flask", "cheroot", "reportlab", "PIL", "pypdf", "docx", "extract_msg", "cn2an",
                "faster_whisper", "ctranslate2", "web.app", "logger.bundles", "logger.intake",
                "logger.cli.evidence", "logger.cli.bundles")
# What no command's `--help` needs: logger.cli modules import the database layer, the web app,
# PDF and Whisper inside the commands, and the choices an option lists come from modules without
# them (storage.kinds, logger.bundles.choices).
NOT_FOR_HELP = ("sqlalchemy", "sqlmodel", "alembic", "flask", "reportlab", "pypdf",
                "faster_whisper")
# Not needed to read a data dir already at the newest revision (nor by `jobs list`, `search`).
NOT_FOR_READING = ("alembic", "flask", "reportlab", "pypdf", "faster_whisper", "logger.intake",
                   "logger.bundles")
# Nor by these two: the tables they do not read (storage.models defines a module's tables when
# one of its names is asked for), nor the catalogues' reader (they print nothing translated).
NOT_FOR_JOBS_OR_SEARCH = ("storage.models.promises", "storage.models.conduct",
                          "storage.models.hardship", "babel")
# Their register() adds commands to the `promises` group, not to `liuhen`.
SUBGROUP_MODULES = {"payments", "writing"}

# Runs `liuhen ARGS...` and prints, last, the modules it had imported.
RUN_AND_LIST_MODULES = """
import json, sys
sys.argv = ["liuhen", *sys.argv[1:]]
from logger.cli.main import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def run_liuhen(*args: str, cli_env: dict[str, str], cwd) -> tuple[str, set[str]]:
    """`liuhen ARGS` in a fresh interpreter: what it printed and the modules it imported."""
    result = subprocess.run([sys.executable, "-c", RUN_AND_LIST_MODULES, *args],
                            capture_output=True, text=True, env={**os.environ, **cli_env},
                            cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout, set(json.loads(result.stderr.splitlines()[-1]))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names
                  if any(m == name or m.startswith(name + ".") for m in modules))


def test_help_imports_no_command_module(cli_env, tmp_path):
    output, modules = run_liuhen("--help", cli_env=cli_env, cwd=tmp_path)
    assert "serve" in output and "verify-bundle" in output
    assert loaded(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("logger.cli.")) == ["logger.cli.main"]


def test_a_command_imports_its_own_modules_only(cli_env, tmp_path):
    output, modules = run_liuhen("jobs", "--help", cli_env=cli_env, cwd=tmp_path)
    assert "retry" in output
    assert "logger.cli.jobs" in modules
    assert loaded(modules, NOT_FOR_JOBS) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_commands_help_loads_no_database_web_or_pdf_module(command, cli_env, tmp_path):
    output, modules = run_liuhen(command, "--help", cli_env=cli_env, cwd=tmp_path)
    assert output.startswith(f"Usage: liuhen {command} ")
    assert loaded(modules, NOT_FOR_HELP) == []


@pytest.mark.parametrize("command, answer", [(("jobs", "list"), "0 job(s)"),
                                             (("search", "x"), "nothing found for “x”")])
def test_a_read_command_opens_a_data_dir_at_head_without_migrating_it(command, answer, cli_env,
                                                                     tmp_path):
    run_liuhen("init", cli_env=cli_env, cwd=tmp_path)
    output, modules = run_liuhen(*command, cli_env=cli_env, cwd=tmp_path)
    assert output.strip() == answer
    assert "storage.db" in modules  # it did open the database
    assert loaded(modules, (*NOT_FOR_READING, *NOT_FOR_JOBS_OR_SEARCH)) == []


def test_a_command_showing_local_times_reads_the_zone_without_the_conduct_report(cli_env,
                                                                               tmp_path):
    # The negotiation's zone is its conduct setting's; the report behind the findings loads
    # the checks, the rule sets and intake (pypdf), which listing evidence does not need.
    for setup in (("init",), ("user", "add", "owner"), ("negotiation", "add", "--creditor", "x")):
        run_liuhen(*setup, cli_env=cli_env, cwd=tmp_path)
    output, modules = run_liuhen("evidence", "list", "--negotiation", "1", cli_env=cli_env,
                                 cwd=tmp_path)
    assert output.strip() == "no evidence yet"
    assert "logger.conduct.zone" in modules
    assert loaded(modules, (*NOT_FOR_READING, "logger.conduct.report")) == []


def test_the_scheduler_help_states_its_default_poll():
    from logger.reminders.scheduler import POLL_S
    ctx = click.Context(cli)
    option = next(p for p in cli.get_command(ctx, "scheduler").params if p.name == "poll_s")
    assert option.help.endswith(f"(default: {POLL_S}).")  # written there, not imported


def every_command_registered() -> click.Group:
    """A plain group holding what every logger.cli module registers, and the plugins."""
    group = click.Group("liuhen")
    for found in pkgutil.iter_modules(logger.cli.__path__):
        module = importlib.import_module(f"logger.cli.{found.name}")
        if hasattr(module, "register") and found.name not in SUBGROUP_MODULES:
            module.register(group)
    for entry in entry_points(group="liuhen.commands"):
        group.add_command(entry.load(), entry.name)
    return group


@pytest.mark.parametrize("width", [50, 80, 120])
def test_help_lists_every_command_as_the_commands_themselves_would(width):
    eager = every_command_registered()
    lazy_text, eager_text = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
    cli.format_commands(click.Context(cli, info_name="liuhen"), lazy_text)
    click.Group.format_commands(eager, click.Context(eager, info_name="liuhen"), eager_text)
    assert lazy_text.getvalue() == eager_text.getvalue(), \
        "a summary in logger.cli.main.COMMANDS is not the first sentence of its command's help"
    assert cli.list_commands(click.Context(cli)) == sorted(eager.commands)


def test_each_command_names_the_modules_that_add_its_subcommands():
    # sharing and tidy add subcommands to the `negotiation` group of logger.cli.evidence: a
    # fresh `liuhen negotiation share` works only if COMMANDS lists them with `negotiation`.
    ctx = click.Context(cli)
    for name, builtin in COMMANDS.items():
        command = cli.get_command(ctx, name)
        listed = [sys.modules[f"logger.cli.{module}"] for module in builtin.modules]
        imported_by_home = {value.__name__ if isinstance(value, ModuleType)
                            else getattr(value, "__module__", None)
                            for value in vars(listed[0]).values()}
        for sub in getattr(command, "commands", {}).values():
            home = sub.callback.__module__
            assert home in {m.__name__ for m in listed} | imported_by_home, \
                f"`{name} {sub.name}` comes from {home}: add it to COMMANDS[{name!r}].modules"


def test_importing_notes_loads_no_reader_of_other_kinds_of_file(cli_env, tmp_path):
    # The PDF, audio and image readers are imported for the first file of their kind.
    for setup in (("init",), ("user", "add", "owner"), ("negotiation", "add", "--creditor", "x")):
        run_liuhen(*setup, cli_env=cli_env, cwd=tmp_path)
    note = tmp_path / "note.txt"
    note.write_text("还款记录：本月已还 1000 元。\n", encoding="utf-8")
    output, modules = run_liuhen("import", "--negotiation", "1", str(note), cli_env=cli_env,
                                 cwd=tmp_path)
    assert "1 stored" in output
    assert loaded(modules, ("pypdf", "mutagen", "PIL", "logger.intake.filemeta.pdf",
                            "logger.intake.filemeta.audio", "logger.intake.filemeta.image",
                            "storage.models.promises")) == []
