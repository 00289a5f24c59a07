"""docs/DEPLOY.md and the files of docs/deploy/ stay true to the code: every `liuhen` command
they run is a command of the real CLI with options it has, every config key and `LIUHEN_*`
variable they name exists, the settings of the compose file and the systemd units load, and the
compose file hangs together (its secrets, volumes and probes). Nothing here can start the compose
file: no container registry is reachable from the test machines."""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml  # PyYAML comes with ctranslate2 and rapidocr

from logger.cli.main import cli as liuhen
from logger.config import load_config
from logger.config.loader import ENV_ALIASES
from logger.config.sections import sections

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "DEPLOY.md"
DEPLOY = ROOT / "docs" / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
PACKAGES = ("logger", "storage", "transcription", "web")

# Variables the code reads by name (not LIUHEN_<SECTION>_<KEY>); each must appear in it.
READ_BY_NAME = {"LIUHEN_CONFIG", "LIUHEN_PASSPHRASE", "LIUHEN_S3_SECRET_KEY"}
# Names that look like `section.key` and are not meant as one.
NOT_KEYS = {("vault", "json")}  # the vault's file in the data dir
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "&"}
CODE_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
CODE_SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")


# --------------------------------------------------------------------------- where commands are


def liuhen_words(text: str) -> list[list[str]]:
    """The words after each `liuhen` (or `.../bin/liuhen`) run in a shell line, up to the end
    of that command; a bare `liuhen` (a user name, say) is not a command."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return []
    found = []
    for i, word in enumerate(words):
        if word == "liuhen" or word.endswith("/bin/liuhen"):
            rest = []
            for after in words[i + 1:]:
                if after in SHELL_OPERATORS:
                    break
                rest.append(after)
            if rest and re.match(r"^(--?[a-z]|[a-z][a-z-]*$)", rest[0]):
                found.append(rest)
    return found


def guide_commands() -> list[tuple[str, list[str]]]:
    text = GUIDE.read_text(encoding="utf-8")
    found = []
    for language, block in CODE_BLOCK.findall(text):
        if language in ("sh", "bash"):
            for line in block.splitlines():
                found += [("DEPLOY.md", words) for words in liuhen_words(line)]
    prose = CODE_BLOCK.sub("", text)
    for span in CODE_SPAN.findall(prose):
        found += [("DEPLOY.md", words) for words in liuhen_words(span.replace("\n", " "))]
    return found


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def compose_commands() -> list[tuple[str, list[str]]]:
    found = []
    for name, service in compose()["services"].items():
        command = service.get("command")
        words = shlex.split(command) if isinstance(command, str) else list(command or [])
        if words[:1] == ["liuhen"]:
            found.append((f"compose {name}", words[1:]))
    return found


def unit_lines(path: Path, key: str) -> list[str]:
    """The values of `key=` lines in a unit file (comments left out)."""
    return [line.split("=", 1)[1] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(f"{key}=")]


def unit_commands() -> list[tuple[str, list[str]]]:
    found = []
    for unit in UNITS:
        for key in ("ExecStartPre", "ExecStart", "ExecStartPost"):
            for line in unit_lines(unit, key):
                found += [(unit.name, words) for words in liuhen_words(line)]
    return found


ALL_COMMANDS = guide_commands() + compose_commands() + unit_commands()


def test_the_commands_are_found_where_they_should_be():
    """Guards the extraction itself: an empty list would make the checks below vacuous."""
    def first_words(sources) -> set[str]:
        return {words[0] for source, words in ALL_COMMANDS if source.split()[0] in sources}

    assert first_words({"compose"}) == {"serve", "worker", "scheduler", "--help"}
    assert first_words({u.name for u in UNITS}) == {"serve", "worker", "scheduler", "backup"}
    assert {"init", "user", "vault", "backup", "restore", "serve"} <= first_words({"DEPLOY.md"})


# --------------------------------------------------------------------------- the CLI check


def resolve(words: list[str]) -> tuple[list[str], list[str]]:
    """The command path (`["user", "add"]`) and the options the words use, walking the real
    click tree; a wrong command, option or argument count fails the test."""
    context = click.Context(liuhen)
    command: click.Command = liuhen
    path: list[str] = []
    options: list[str] = []
    arguments = 0
    i = 0
    while i < len(words):
        word = words[i]
        shown = " ".join(["liuhen", *path])
        if word.startswith("-"):
            name, _, value = word.partition("=")
            options.append(name)
            if name != "--help":
                param = next((p for p in command.params if isinstance(p, click.Option)
                              and name in p.opts + p.secondary_opts), None)
                assert param is not None, f"`{shown}` has no option {name}"
                if not (param.is_flag or param.count) and not value:
                    i += 1  # its value
        elif isinstance(command, click.Group) and arguments == 0:
            sub = command.get_command(context, word)
            assert sub is not None, f"`{shown}` has no command {word!r}"
            command, path = sub, [*path, word]
        else:
            arguments += 1
        i += 1
    accepted = [p.nargs for p in command.params if isinstance(p, click.Argument)]
    if -1 not in accepted:
        assert arguments <= sum(accepted), \
            f"`liuhen {' '.join(path)}` takes {sum(accepted)} arguments, the docs give {arguments}"
    return path, options


@pytest.mark.parametrize("source, words", ALL_COMMANDS,
                         ids=[f"{s}: liuhen {' '.join(w)}" for s, w in ALL_COMMANDS])
def test_every_liuhen_command_is_a_real_command_with_real_options(cli, source, words):
    path, options = resolve(words)
    shown = cli(*path, "--help")
    assert shown.exit_code == 0, shown.output
    for option in options:
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", shown.output), \
            f"`liuhen {' '.join(path)} --help` does not list {option} ({source})"


# --------------------------------------------------------------------------- keys and variables


def config_variables() -> set[str]:
    return {f"LIUHEN_{section.upper()}_{f.name.upper()}"
            for section, cls in sections().items() for f in dataclasses.fields(cls)
            } | set(ENV_ALIASES)


def package_source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for package in PACKAGES
                     for path in sorted((ROOT / package).rglob("*.py")))


def test_every_config_key_named_exists():
    known = {name: {f.name for f in dataclasses.fields(cls)} for name, cls in sections().items()}
    pattern = "|".join(known)
    named = re.findall(rf"`({pattern})\.([a-z0-9_]+)", GUIDE.read_text(encoding="utf-8"))
    for path in [COMPOSE, DEPLOY / "Caddyfile", *UNITS]:
        named += re.findall(rf"\b({pattern})\.([a-z0-9_]+)\b", path.read_text(encoding="utf-8"))
    assert ("storage", "vault_in") in named and ("server", "trust_proxy") in named
    wrong = sorted({f"{s}.{k}" for s, k in set(named) - NOT_KEYS if k not in known[s]})
    assert not wrong, f"not config keys (logger/config/sections.py): {wrong}"


def test_every_liuhen_variable_named_is_read():
    texts = [GUIDE, COMPOSE, *UNITS]
    named = {v for path in texts
             for v in re.findall(r"\bLIUHEN_[A-Z0-9_]+", path.read_text(encoding="utf-8"))}
    unknown = sorted(named - config_variables() - READ_BY_NAME)
    assert not unknown, f"variables Liuhen does not read: {unknown}"
    source = package_source()
    unread = sorted(v for v in named & READ_BY_NAME if f'"{v}"' not in source)
    assert not unread, f"no code reads {unread}"


def guide_config(tmp_path: Path) -> Path:
    """DEPLOY.md's config.toml (its one toml block), written out."""
    blocks = [block for language, block in CODE_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))
              if language == "toml"]
    assert len(blocks) == 1, "DEPLOY.md shows one config.toml"
    path = tmp_path / "config.toml"
    path.write_text(blocks[0], encoding="utf-8")
    return path


def test_the_guides_config_file_loads_with_every_units_environment(tmp_path):
    config_file = guide_config(tmp_path)
    config = load_config(config_file, env={})
    assert (config.storage.vault_in, config.storage.blob_store, config.server.trust_proxy,
            config.worker.embedded) == ("database", "s3", True, False)
    for unit in UNITS:
        env = dict(line.split("=", 1) for line in unit_lines(unit, "Environment"))
        assert env.pop("LIUHEN_CONFIG", str(config_file)) == "/etc/liuhen/config.toml"
        env = {k: v.replace("%i", "8000").replace("%d", "/run/credentials/x")
               for k, v in env.items()}
        loaded = load_config(config_file, env=env)
        data_dir = str(loaded.storage.data_dir)
        writable = " ".join(unit_lines(unit, "ReadWritePaths")).replace("%i", "8000").split()
        assert any(data_dir == w or data_dir.startswith(w + "/") for w in writable), \
            f"{unit.name}: the data dir {data_dir} is not in ReadWritePaths"


def test_the_units_are_hardened_and_get_their_secrets_from_credentials():
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                     "CapabilityBoundingSet=\n", "UMask=0077"):
            assert line in text, f"{unit.name} lacks {line.strip()}"
        loaded = {line.split(":", 1)[0] for line in unit_lines(unit, "LoadCredential")}
        used = set(re.findall(r"^Environment=\w+=%d/([\w-]+)$", text, re.M))
        assert used == loaded, f"{unit.name}: credentials loaded {loaded}, used {used}"
        assert "PASSPHRASE=" not in text, "a service unlocks with a key file, not the passphrase"


# --------------------------------------------------------------------------- the compose file


def test_the_compose_settings_load_and_hang_together(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.toml of the checkout
    spec = compose()
    services = spec["services"]
    assert {"postgres", "seaweedfs", "web1", "web2", "worker", "scheduler", "caddy"} <= \
        set(services)
    for name, service in services.items():
        for secret in service.get("secrets", []):
            assert secret in spec["secrets"], f"{name} uses the undeclared secret {secret}"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith(".") or source in spec["volumes"], \
                f"{name} uses the undeclared volume {source}"
        if service.get("command", [""])[0] == "liuhen":
            config = load_config(env=service["environment"])
            assert config.storage.database_url.startswith("postgresql://")
            assert (config.storage.vault_in, config.storage.blob_store) == ("database", "s3")
            assert ("--host" not in service["command"] or config.server.trust_proxy)
    weed = services["seaweedfs"]["command"]
    assert weed[0] == "server" and "-s3" in weed
    for web in ("web1", "web2"):
        assert "/healthz" in " ".join(services[web]["healthcheck"]["test"])
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "health_uri /readyz" in caddyfile
    assert re.search(r"reverse_proxy web1:8000 web2:8000", caddyfile)
    assert services["scheduler"].get("deploy", {}).get("replicas", 1) == 1


def test_the_compose_file_says_it_was_never_run():
    assert "NEVER RUN" in COMPOSE.read_text(encoding="utf-8").split("\nname:")[0]


def test_the_guide_says_how_keys_are_given_and_rotated():
    text = GUIDE.read_text(encoding="utf-8")
    assert "<!-- KEYS SECTION -->" not in text
    for heading in ("### Keys: the passphrase, key files and rotation",
                    "#### Rotating a key file", "#### Rotating the master key itself"):
        assert heading in text, heading

