"""Loading the configuration: the TOML file into the dataclasses of `logger.config.sections`,
`LIUHEN_*` environment overrides on top, unknown keys refused by name, values checked.

Where the file comes from: `--config PATH`, else `$LIUHEN_CONFIG`, else `./config.toml` if it
exists, else the defaults. Relative paths in a file are relative to that file's folder.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from logger.config.sections import (BLOB_STORES, REMINDER_OFFSET, VAULT_LOCATIONS, TRANSCRIPTION_COMPUTE_TYPES,
                                    TRANSCRIPTION_DEVICES, TRANSCRIPTION_ENGINES, BundlesConfig,
                                    Config, RemindersConfig, ServerConfig, StorageConfig,
                                    TranscriptionConfig, WorkerConfig, sections)
from logger.errors import ConfigError

ENV_PREFIX = "LIUHEN_"
# Short names for the variables people set most; every key also has LIUHEN_<SECTION>_<KEY>.
ENV_ALIASES = {
    "LIUHEN_DATA_DIR": ("storage", "data_dir"),
    "LIUHEN_DATABASE_URL": ("storage", "database_url"),
    "LIUHEN_PASSPHRASE_FILE": ("storage", "passphrase_file"),
    "LIUHEN_KEY_FILE": ("storage", "key_file"),
}


def load_config(path: Path | None = None, *, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (see the module docstring for which one) and the environment.

    Raises ConfigError naming the file and key for unknown keys, wrong types and bad values.
    """
    env = os.environ if env is None else env
    if path is None and env.get("LIUHEN_CONFIG"):
        path = Path(env["LIUHEN_CONFIG"])
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")

    raw: dict[str, dict[str, object]] = {}
    base_dir = Path.cwd()
    if path is not None:
        try:
            with open(path, "rb") as f:
                raw = tomllib.load(f)
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path} is not valid TOML: {e}") from None
        base_dir = Path(path).resolve().parent
    where = str(path) if path else "defaults"

    values: dict[str, dict[str, object]] = {}
    known = sections()
    for section, table in raw.items():
        if section not in known:
            raise ConfigError(f"{where}: unknown section [{section}] (known: {', '.join(known)})")
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        names = {f.name for f in dataclasses.fields(known[section])}
        for key, value in table.items():
            if key not in names:
                raise ConfigError(f"{where}: unknown key `{section}.{key}` "
                                  f"(known in [{section}]: {', '.join(sorted(names))})")
            values.setdefault(section, {})[key] = _coerce(section, key, value, known, where)

    for var, (section, key) in _env_keys(known).items():
        if var in env:
            values.setdefault(section, {})[key] = _coerce(
                section, key, env[var], known, f"environment variable {var}", from_env=True)

    built = {}
    for section, cls in known.items():
        kwargs = values.get(section, {})
        if section == "storage" and "data_dir" in kwargs:
            data_dir = Path(kwargs["data_dir"]).expanduser()
            from_file = "data_dir" in raw.get("storage", {}) and not _env_set(env, "data_dir")
            kwargs["data_dir"] = (base_dir / data_dir) if from_file else data_dir
        built[section] = cls(**kwargs)
    config = Config(**built)
    _validate(config, where)
    return config


def _env_set(env: Mapping[str, str], key: str) -> bool:
    return any(var in env for var, (_, k) in ENV_ALIASES.items() if k == key) or \
        f"{ENV_PREFIX}STORAGE_{key.upper()}" in env


def _env_keys(known: dict[str, type]) -> dict[str, tuple[str, str]]:
    keys = {}
    for section, cls in known.items():
        for f in dataclasses.fields(cls):
            keys[f"{ENV_PREFIX}{section.upper()}_{f.name.upper()}"] = (section, f.name)
    keys.update(ENV_ALIASES)
    return keys


def _coerce(section: str, key: str, value: object, known: dict[str, type], where: str,
            *, from_env: bool = False) -> object:
    expected = typing.get_type_hints(known[section])[key]
    if isinstance(expected, types.UnionType):
        expected = next(t for t in typing.get_args(expected) if t is not type(None))
    try:
        if expected is bool:
            if from_env:
                lowered = str(value).strip().lower()
                if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                return lowered in ("1", "true", "yes", "on")
            if not isinstance(value, bool):
                raise ValueError
            return value
        if expected is int:
            if isinstance(value, bool) or (not from_env and not isinstance(value, int)):
                raise ValueError
            return int(value)
        if expected is Path:
            if not isinstance(value, str):
                raise ValueError
            return Path(value)
        if expected is str:
            if not isinstance(value, str):
                raise ValueError
            return value
        if typing.get_origin(expected) is list:
            return _string_list(value, from_env)
    except ValueError:
        raise ConfigError(f"{where}: `{section}.{key}` must be {expected.__name__}, "
                          f"got {value!r}") from None
    raise ConfigError(f"{where}: `{section}.{key}` has an unsupported type")  # pragma: no cover


def _string_list(value: object, from_env: bool) -> list[str]:
    """A TOML list of strings; in an environment variable, comma-separated."""
    if from_env:
        return [part.strip() for part in str(value).split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError
    return value


def _validate(config: Config, where: str) -> None:
    try:
        config.locale.zone
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: `locale.timezone` {config.locale.timezone!r} is not a known "
                          "time zone (for example Asia/Shanghai, America/New_York)") from None
    if config.vault.kdf not in ("argon2id", "scrypt"):
        raise ConfigError(f"{where}: `vault.kdf` must be \"argon2id\" or \"scrypt\", "
                          f"got {config.vault.kdf!r}")
    if config.vault.kdf_memory_mib < 8 or config.vault.kdf_iterations < 1:
        raise ConfigError(f"{where}: `vault.kdf_memory_mib` must be at least 8 and "
                          "`vault.kdf_iterations` at least 1")
    if config.intake.max_file_mb < 1:
        raise ConfigError(f"{where}: `intake.max_file_mb` must be at least 1")
    if config.intake.max_messages_per_import < 1:
        raise ConfigError(f"{where}: `intake.max_messages_per_import` must be at least 1")
    if config.intake.confirm_items_over < 1:
        raise ConfigError(f"{where}: `intake.confirm_items_over` must be at least 1")
    if config.trash.retention_days < 0:
        raise ConfigError(f"{where}: `trash.retention_days` must be 0 or more (days an item "
                          "stays restorable in the trash before emptying may delete it)")
    _validate_server(config.server, where)
    _validate_transcription(config.transcription, where)
    _validate_worker(config.worker, where)
    _validate_intake_sources(config, where)
    _validate_reminders(config.reminders, where)
    _validate_bundles(config.bundles, where)
    _validate_storage(config.storage, where)


def _validate_storage(storage: StorageConfig, where: str) -> None:
    url = storage.database_url
    if url and not url.startswith(("postgresql://", "postgresql+psycopg://")):
        raise ConfigError(f"{where}: `storage.database_url` must be empty (the encrypted SQLite "
                          "file in the data dir) or a postgresql:// URL")
    if storage.vault_in not in VAULT_LOCATIONS:
        raise ConfigError(f"{where}: `storage.vault_in` must be \"file\" or \"database\", "
                          f"got {storage.vault_in!r}")
    if storage.vault_in == "database" and not url:
        raise ConfigError(f"{where}: `storage.vault_in = \"database\"` needs a PostgreSQL "
                          "`storage.database_url` (the SQLite file is encrypted with a key the "
                          "vault holds, so its vault cannot live inside it)")
    if storage.blob_store not in BLOB_STORES:
        raise ConfigError(f"{where}: `storage.blob_store` must be \"local\" or \"s3\", "
                          f"got {storage.blob_store!r}")
    if storage.blob_store == "s3" and not storage.s3_bucket:
        raise ConfigError(f"{where}: `storage.blob_store = \"s3\"` needs `storage.s3_bucket` "
                          "(and usually `s3_endpoint`, `s3_access_key` and a secret key in "
                          "`s3_secret_key_file` or LIUHEN_S3_SECRET_KEY)")


def _validate_server(server: ServerConfig, where: str) -> None:
    if not 0 < server.port < 65536:
        raise ConfigError(f"{where}: `server.port` must be between 1 and 65535")
    for key in ("idle_timeout_minutes", "threads", "backlog", "queue_size",
                "queue_timeout_seconds"):
        if getattr(server, key) < 1:
            raise ConfigError(f"{where}: `server.{key}` must be at least 1")


def _validate_transcription(t: TranscriptionConfig, where: str) -> None:
    def choice(key: str, value: str, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            raise ConfigError(f"{where}: `transcription.{key}` must be one of "
                              f"{', '.join(repr(a) for a in allowed)}, got {value!r}")

    choice("engine", t.engine, TRANSCRIPTION_ENGINES)
    choice("device", t.device, TRANSCRIPTION_DEVICES)
    choice("compute_type", t.compute_type, TRANSCRIPTION_COMPUTE_TYPES)
    if not t.model.strip():
        raise ConfigError(f"{where}: `transcription.model` must name a model (\"base\", the one "
                          "that comes with Liuhen) or a folder holding a converted model")
    if t.threads < 0:
        raise ConfigError(f"{where}: `transcription.threads` must be 0 (all cores) or more, "
                          f"got {t.threads}")
    if not 1 <= t.beam_size <= 20:
        raise ConfigError(f"{where}: `transcription.beam_size` must be between 1 and 20, "
                          f"got {t.beam_size}")
    if not 0 <= t.batch_size <= 64:
        raise ConfigError(f"{where}: `transcription.batch_size` must be between 0 and 64, "
                          f"got {t.batch_size}")


def _validate_intake_sources(config: Config, where: str) -> None:
    if config.watch.poll_seconds < 1 or config.watch.settle_seconds < 0:
        raise ConfigError(f"{where}: `watch.poll_seconds` must be at least 1 and "
                          "`watch.settle_seconds` 0 or more")
    if config.watch.dirs and config.watch.negotiation < 1:
        raise ConfigError(f"{where}: `watch.dirs` is set but `watch.negotiation` is not: name "
                          "the negotiation (its number, see `liuhen negotiation list`) that "
                          "files from the watched folders belong to")
    mail = config.mailin
    if mail.host and (mail.negotiation < 1 or not mail.user):
        raise ConfigError(f"{where}: `mailin.host` is set, so `mailin.user` and "
                          "`mailin.negotiation` must be set too")
    if mail.interval_minutes < 1 or not 0 < mail.port < 65536:
        raise ConfigError(f"{where}: `mailin.interval_minutes` must be at least 1 and "
                          "`mailin.port` between 1 and 65535")


def _validate_worker(w: WorkerConfig, where: str) -> None:
    if w.lease_seconds < 1 or w.poll_seconds < 1:
        raise ConfigError(f"{where}: `worker.lease_seconds` and `worker.poll_seconds` must be at "
                          f"least 1, got {w.lease_seconds} and {w.poll_seconds}")
    if w.retry_backoff_seconds < 0:
        raise ConfigError(f"{where}: `worker.retry_backoff_seconds` must be 0 or more, "
                          f"got {w.retry_backoff_seconds}")


def _validate_reminders(r: RemindersConfig, where: str) -> None:
    for offset in r.offsets:
        match = REMINDER_OFFSET.match(offset)
        if not match or (match.group(2) == "h" and not 1 <= int(match.group(1)) <= 72):
            raise ConfigError(f"{where}: `reminders.offsets` has {offset!r}: write days before "
                              "the due day as \"3d\" (0d: on the day) or hours before the due "
                              "time as \"2h\" (1h-72h)")
    if len(set(r.offsets)) != len(r.offsets):
        raise ConfigError(f"{where}: `reminders.offsets` lists an offset twice")
    if not 0 <= r.hour <= 23:
        raise ConfigError(f"{where}: `reminders.hour` must be between 0 and 23, got {r.hour}")
    if not 0 < r.smtp_port < 65536:
        raise ConfigError(f"{where}: `reminders.smtp_port` must be between 1 and 65535")
    if r.smtp_host and "@" not in r.smtp_from:
        raise ConfigError(f"{where}: `reminders.smtp_host` is set, so `reminders.smtp_from` "
                          "must be the address reminders are sent from (e.g. liuhen@example.com)")
    if r.webhook_url and not r.webhook_url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: `reminders.webhook_url` must start with http:// or "
                          f"https://, got {r.webhook_url!r}")


def _validate_bundles(b: BundlesConfig, where: str) -> None:
    if b.tsa_url and not b.tsa_url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: `bundles.tsa_url` must be empty (no time-stamps) or an "
                          f"http:// or https:// URL, got {b.tsa_url!r}")
    if b.tsa_timeout_seconds < 1:
        raise ConfigError(f"{where}: `bundles.tsa_timeout_seconds` must be at least 1, "
                          f"got {b.tsa_timeout_seconds}")
