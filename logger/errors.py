"""Errors a person can act on. Each message says what was wrong and what to do about it."""


class LiuhenError(Exception):
    """Base of every error the CLI and the web app show as a message rather than a trace."""


class ConfigError(LiuhenError):
    """The configuration file or a LIUHEN_* variable is wrong; the message names the key."""


class IntakeError(LiuhenError):
    """A file was refused at intake; nothing was stored."""


class UnsupportedFile(IntakeError):
    """The file's real type (sniffed from its content) is not one Liuhen accepts."""


class FileTooLarge(IntakeError):
    """The file is larger than `intake.max_file_mb`."""


class DuplicateEvidence(IntakeError):
    """The exact same bytes are already evidence in this negotiation."""

    def __init__(self, message: str, *, existing_id: int):
        super().__init__(message)
        self.existing_id = existing_id


class NotFound(LiuhenError):
    """No such item (or it belongs to another account, which looks the same from outside)."""


class PermanentJobError(LiuhenError):
    """A job failed in a way another attempt cannot fix (the file cannot be decoded, say): the
    worker marks it failed at once instead of retrying."""
