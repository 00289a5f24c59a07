"""Sending a reminder out of the app: by email (SMTP) and to a webhook (POST JSON).

Each sender raises ReminderDeliveryError with a message a person can act on when the message
did not go out; the scheduler then tries again later. Both mark a message with the reminder's
id (Message-ID, Idempotency-Key) so that a receiver can drop the duplicate that an interrupted
send may produce (see logger.reminders for why a duplicate is possible at all).
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from logger.config import Config, RemindersConfig
from logger.errors import LiuhenError
from logger.reminders.text import ReminderText
from logger.secrets import first_line
from storage.models.promises import ReminderChannel

TIMEOUT_S = 30


class ReminderDeliveryError(LiuhenError):
    """The reminder did not go out on that channel; the message says why."""


@dataclass(frozen=True)
class Outgoing:
    """One reminder to send: its text, its stable id, and the account's email address."""

    reminder_id: int
    text: ReminderText
    email: str | None


class Sender(Protocol):
    channel: ReminderChannel

    def send(self, outgoing: Outgoing) -> None: ...


class EmailSender:
    """Sends through the `[reminders]` SMTP server, with STARTTLS and a login when set."""

    channel = ReminderChannel.email

    def __init__(self, settings: RemindersConfig, password: str | None = None):
        self.settings = settings
        self.password = password  # saved on the settings page; else the password file

    def send(self, outgoing: Outgoing) -> None:
        if not outgoing.email:
            raise ReminderDeliveryError("no email address is set for this account (settings "
                                        "page, Reminders)")
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"] = s.smtp_from, outgoing.email
        message["Subject"] = outgoing.text.subject
        message["Date"] = formatdate(localtime=False)
        domain = s.smtp_from.rpartition("@")[2] or "liuhen.invalid"
        message["Message-ID"] = f"<liuhen-reminder-{outgoing.reminder_id}@{domain}>"
        message.set_content(outgoing.text.body)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT_S) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_user:
                    smtp.login(s.smtp_user, self.password or _password(s))
                smtp.send_message(message)
        except smtplib.SMTPNotSupportedError:
            raise ReminderDeliveryError(
                f"the SMTP server {s.smtp_host}:{s.smtp_port} does not offer STARTTLS; use a "
                "port that does (587) or set `reminders.smtp_starttls = false` for a local "
                "relay") from None
        except smtplib.SMTPAuthenticationError as e:
            raise ReminderDeliveryError(
                f"the SMTP server refused the login of {s.smtp_user!r} ({e.smtp_code}); check "
                "the user and password (settings page, Reminders; or `reminders.smtp_user` and "
                "the password file)") from None
        except (smtplib.SMTPException, OSError) as e:
            raise ReminderDeliveryError(
                f"sending the reminder email through {s.smtp_host}:{s.smtp_port} failed: "
                f"{e}") from None


class WebhookSender:
    """POSTs the reminder as JSON to `reminders.webhook_url`; any 2xx answer is success."""

    channel = ReminderChannel.webhook

    def __init__(self, url: str):
        self.url = url

    def send(self, outgoing: Outgoing) -> None:
        body = json.dumps(outgoing.text.payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "Liuhen",
            "Idempotency-Key": f"liuhen-reminder-{outgoing.reminder_id}"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
                reply.read()
        except urllib.error.HTTPError as e:
            raise ReminderDeliveryError(f"the webhook {self.url} answered {e.code} "
                                        f"{e.reason}") from None
        except (urllib.error.URLError, socket.timeout, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ReminderDeliveryError(f"the webhook {self.url} could not be reached: "
                                        f"{reason}") from None


def build_senders(config: Config, *, smtp_password: str | None = None
                  ) -> dict[ReminderChannel, Sender]:
    """The senders the configuration turns on (the app channel needs none). `config.reminders`
    is the section with the settings page's values over it (logger.reminders.mail_settings),
    and `smtp_password` the password saved there."""
    settings = config.reminders
    senders: dict[ReminderChannel, Sender] = {}
    if settings.smtp_host:
        senders[ReminderChannel.email] = EmailSender(settings, smtp_password)
    if settings.webhook_url:
        senders[ReminderChannel.webhook] = WebhookSender(settings.webhook_url)
    return senders


def _password(settings: RemindersConfig) -> str:
    if not settings.smtp_password_file:
        raise ReminderDeliveryError("`reminders.smtp_user` is set but "
                                    "`reminders.smtp_password_file` is not")
    return first_line(settings.smtp_password_file, what="SMTP password",
                      key="reminders.smtp_password_file", error=ReminderDeliveryError)
