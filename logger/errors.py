"""Errors a person can act on. Each message says what was wrong and what to do about it.

A message raised as a `logger.i18n.Text` is kept in every language: `str(error)` is its English
(the CLI, the logs), `error.in_language("zh")` what a page shows a reader of Chinese. A message
raised as a plain string is English only."""

from logger.i18n import Text


class LiuhenError(Exception):
    """Base of every error the CLI and the web app show as a message rather than a trace."""

    def __init__(self, message: object = "", *args: object) -> None:
        self.text = message if isinstance(message, Text) else None
        super().__init__(message.to("en") if isinstance(message, Text) else message, *args)

    def in_language(self, language: str | None) -> str:
        """The message in `language` where it was raised as a `Text`, else as raised."""
        return self.text.to(language) if self.text is not None else str(self)


class ConfigError(LiuhenError):
    """The configuration file or a LIUHEN_* variable is wrong; the message names the key."""


class IntakeError(LiuhenError):
    """A file was refused at intake; nothing was stored."""


class UnsupportedFile(IntakeError):
    """The file's real type (sniffed from its content) is not one Liuhen accepts."""


class FileTooLarge(IntakeError):
    """The file is larger than `intake.max_file_mb`."""


class TooManyMessages(IntakeError):
    """A mailbox holds more messages than one import may split into items
    (`intake.max_messages_per_import`)."""

    def __init__(self, message: str | Text, *, count: int, limit: int):
        super().__init__(message)
        self.count, self.limit = count, limit


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
