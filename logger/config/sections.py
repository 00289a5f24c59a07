"""The configuration as data: one frozen dataclass per section of the file (`Config` holds them
all), with the defaults `config.example.toml` documents, and the values some keys are limited
to. `logger.config.loader` fills them in from the file and the environment.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class StorageConfig:
    data_dir: Path = Path("data")
    database_url: str = ""
    passphrase_file: str = ""
    # Service accounts: a file holding a random key that unlocks the vault like the passphrase.
    key_file: str = ""
    # Where the vault (the wrapped master key) is kept: "file" (vault.json in the data dir) or
    # "database" (PostgreSQL only: every process with the passphrase or a key file unlocks it).
    vault_in: str = "file"
    # Where the encrypted originals are kept: "local" (data_dir/blobs) or "s3".
    blob_store: str = "local"
    s3_endpoint: str = ""
    s3_region: str = ""
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_access_key: str = ""
    # A file whose first line is the S3 secret key (else LIUHEN_S3_SECRET_KEY).
    s3_secret_key_file: str = ""

    @property
    def vault_path(self) -> Path:
        return self.data_dir / "vault.json"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "liuhen.db"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


VAULT_LOCATIONS = ("file", "database")
BLOB_STORES = ("local", "s3")


@dataclass(frozen=True)
class VaultConfig:
    kdf: str = "argon2id"
    kdf_memory_mib: int = 64
    kdf_iterations: int = 3


@dataclass(frozen=True)
class IntakeConfig:
    max_file_mb: int = 2048
    # The user's own email addresses: mail from one of them is from_me, to one is from_them.
    my_addresses: list[str] = field(default_factory=list)
    # Items one mailbox import may be split into (its messages); a larger one is refused.
    max_messages_per_import: int = 5000
    # Items one import may add without being confirmed (`liuhen import --allow-many`).
    confirm_items_over: int = 1000

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    idle_timeout_minutes: int = 30
    trust_proxy: bool = False
    # Requests served at once; connections the OS holds before the server takes them (capped
    # by net.core.somaxconn); connections taken and waiting for a free thread, and how long
    # the server waits for room among them before answering 503.
    threads: int = 8
    backlog: int = 1024
    queue_size: int = 256
    queue_timeout_seconds: int = 60


@dataclass(frozen=True)
class LocaleConfig:
    timezone: str = "Asia/Shanghai"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class TranscriptionConfig:
    engine: str = "faster-whisper"
    model: str = "base"
    model_dir: str = ""
    device: str = "auto"
    compute_type: str = "auto"
    threads: int = 0
    beam_size: int = 5
    batch_size: int = 0
    vad: bool = True
    allow_download: bool = False

    def models_dir(self, data_dir: Path) -> Path:
        """Where models are joined or kept: `model_dir`, or `<data_dir>/models` when empty."""
        return Path(self.model_dir).expanduser() if self.model_dir else Path(data_dir) / "models"


TRANSCRIPTION_ENGINES = ("faster-whisper", "openai-whisper")
TRANSCRIPTION_DEVICES = ("auto", "cpu", "cuda")
TRANSCRIPTION_COMPUTE_TYPES = ("auto", "default", "int8", "int8_float16", "int8_float32",
                               "int8_bfloat16", "int16", "float16", "bfloat16", "float32")


@dataclass(frozen=True)
class WorkerConfig:
    embedded: bool = True
    lease_seconds: int = 60
    poll_seconds: int = 2
    retry_backoff_seconds: int = 30


@dataclass(frozen=True)
class WatchConfig:
    """Folders whose new files `liuhen serve` ingests by itself (`logger.intake.watch`)."""

    dirs: list[str] = field(default_factory=list)
    negotiation: int = 0
    poll_seconds: int = 5
    settle_seconds: int = 10


@dataclass(frozen=True)
class MailInConfig:
    """An IMAP folder whose new messages `liuhen serve` ingests by itself
    (`logger.intake.mailin`)."""

    host: str = ""
    port: int = 993
    ssl: bool = True
    user: str = ""
    password_file: str = ""
    folder: str = "INBOX"
    negotiation: int = 0
    interval_minutes: int = 15


@dataclass(frozen=True)
class RemindersConfig:
    """When reminders of promises go out, and how (`logger.reminders`): in the app always, by
    email when `smtp_host` is set, to a webhook when `webhook_url` is set."""

    offsets: list[str] = field(default_factory=lambda: ["3d", "1d", "0d"])
    hour: int = 9
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password_file: str = ""
    smtp_from: str = ""
    smtp_starttls: bool = True
    webhook_url: str = ""


@dataclass(frozen=True)
class BundlesConfig:
    """Evidence bundles (`logger.bundles`): the optional RFC 3161 time-stamp authority."""

    tsa_url: str = ""
    tsa_ca_file: str = ""
    tsa_timeout_seconds: int = 30


@dataclass(frozen=True)
class TrashConfig:
    """Items put in the trash (`logger.record.trash`): how many days they stay restorable
    before emptying the trash may delete their originals."""

    retention_days: int = 30


@dataclass(frozen=True)
class Config:
    storage: StorageConfig = field(default_factory=StorageConfig)
    vault: VaultConfig = field(default_factory=VaultConfig)
    intake: IntakeConfig = field(default_factory=IntakeConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    transcription: TranscriptionConfig = field(default_factory=TranscriptionConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    mailin: MailInConfig = field(default_factory=MailInConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    bundles: BundlesConfig = field(default_factory=BundlesConfig)
    trash: TrashConfig = field(default_factory=TrashConfig)

    def with_data_dir(self, data_dir: Path) -> Config:
        storage = dataclasses.replace(self.storage, data_dir=Path(data_dir))
        return dataclasses.replace(self, storage=storage)


def sections() -> dict[str, type]:
    """Section name -> its dataclass, in the order the example file lists them."""
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config)}


# "3d": three days before the due day, at `reminders.hour`; "2h": two hours before the due time.
REMINDER_OFFSET = re.compile(r"^(\d{1,2})([dh])$")
