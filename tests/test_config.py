"""The config loader, and the example file kept in step with the dataclasses."""

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from logger.config import Config, load_config, sections
from logger.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def test_example_file_lists_every_key_with_its_default():
    with open(EXAMPLE, "rb") as f:
        example = tomllib.load(f)
    defaults = Config()
    assert set(example) == set(sections())
    for name, cls in sections().items():
        fields = {f.name for f in dataclasses.fields(cls)}
        assert set(example[name]) == fields, f"[{name}] in config.example.toml"
        for key in fields:
            value = getattr(getattr(defaults, name), key)
            assert example[name][key] == (str(value) if isinstance(value, Path) else value), \
                f"{name}.{key}: example and default differ"


def test_example_file_documents_every_key():
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[a-z_]+\s*=", line):
            assert lines[i - 1].startswith("#"), f"key without a comment: {line}"


def test_loading_the_example_gives_the_defaults_with_data_dir_beside_it():
    config = load_config(EXAMPLE, env={})
    assert config.storage.data_dir == EXAMPLE.parent / "data"
    assert dataclasses.replace(config.storage, data_dir=Path("data")) == Config().storage
    assert config.vault == Config().vault and config.server == Config().server


def test_unknown_key_is_an_error_that_names_it(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[server]\nport = 8000\nprot = 9000\n')
    with pytest.raises(ConfigError, match=r"unknown key `server\.prot`"):
        load_config(path, env={})
    path.write_text('[sever]\nport = 8000\n')
    with pytest.raises(ConfigError, match=r"unknown section \[sever\]"):
        load_config(path, env={})


def test_wrong_type_names_key_and_value(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[server]\nport = "eighty"\n')
    with pytest.raises(ConfigError, match=r"`server\.port` must be int, got 'eighty'"):
        load_config(path, env={})


def test_environment_overrides_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[server]\nport = 8000\n[storage]\ndata_dir = "here"\n')
    config = load_config(path, env={"LIUHEN_SERVER_PORT": "9001",
                                    "LIUHEN_DATA_DIR": "/srv/liuhen",
                                    "LIUHEN_LOCALE_TIMEZONE": "America/New_York"})
    assert config.server.port == 9001
    assert config.storage.data_dir == Path("/srv/liuhen")
    assert config.locale.timezone == "America/New_York"
    assert load_config(path, env={}).storage.data_dir == tmp_path / "here"


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match="LIUHEN_SERVER_PORT"):
        load_config(env={"LIUHEN_SERVER_PORT": "x"})


def test_invalid_values_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="locale.timezone"):
        load_config(env={"LIUHEN_LOCALE_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="vault.kdf"):
        load_config(env={"LIUHEN_VAULT_KDF": "md5"})
    with pytest.raises(ConfigError, match="database_url"):
        load_config(env={"LIUHEN_DATABASE_URL": "mysql://x"})


def test_config_file_from_environment_and_missing_file(tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text('[intake]\nmax_file_mb = 5\n')
    assert load_config(env={"LIUHEN_CONFIG": str(path)}).intake.max_file_bytes == 5 * 1024 * 1024
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().server.port = 1  # type: ignore[misc]
