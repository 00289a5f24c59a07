"""Configuration: `config.example.toml` documents every key; `sections` holds the frozen
dataclasses they load into; `loader` reads a TOML file into them (`--config PATH`, else
`$LIUHEN_CONFIG`, else `./config.toml`, else the defaults), applies `LIUHEN_*` environment
overrides, and refuses unknown keys by name. Import the names from here.

Imports nothing of the project but `logger.errors`.
"""

from logger.config.loader import ENV_ALIASES, ENV_PREFIX, load_config
from logger.config.sections import (REMINDER_OFFSET, TRANSCRIPTION_COMPUTE_TYPES,
                                    TRANSCRIPTION_DEVICES, TRANSCRIPTION_ENGINES, BundlesConfig,
                                    Config, IntakeConfig, LocaleConfig, MailInConfig,
                                    RemindersConfig, ServerConfig, StorageConfig,
                                    TranscriptionConfig, VaultConfig, WatchConfig, WorkerConfig,
                                    sections)

__all__ = ["ENV_ALIASES", "ENV_PREFIX", "REMINDER_OFFSET", "TRANSCRIPTION_COMPUTE_TYPES",
           "TRANSCRIPTION_DEVICES", "TRANSCRIPTION_ENGINES", "BundlesConfig", "Config",
           "IntakeConfig", "LocaleConfig", "MailInConfig", "RemindersConfig", "ServerConfig",
           "StorageConfig", "TranscriptionConfig", "VaultConfig", "WatchConfig", "WorkerConfig",
           "load_config", "sections"]
