"""Email reminders set up on the settings page: the SMTP server, port, STARTTLS, login,
password and sender are saved in the database (the password sealed under a vault subkey, never
shown back), a test message goes out through them, and the scheduler sends reminders through
them; the configuration's `[reminders]` values are the defaults. Against the real SMTP server
on loopback the reminder tests use (aiosmtpd)."""

from __future__ import annotations

from sqlmodel import select

from logger.reminders.mail_settings import SUBKEY, effective_reminders
from logger.reminders.scheduler import ReminderScheduler
from storage.models import MailSettings
from tests.reminders.test_reminders import smtp  # noqa: F401  (the SMTP server fixture)
from tests.support.promises import local, my_payment
from tests.support.web import page_text, post_form, sign_in


def server_form(controller, **overrides) -> dict:
    return {"smtp_host": "127.0.0.1", "smtp_port": str(controller.port), "smtp_user": "wo",
            "smtp_password": "mima", "smtp_from": "liuhen@example.com", **overrides}


def english(session, owner):
    owner.locale = "en"
    session.add(owner)
    session.commit()


def test_the_server_saved_on_the_page_sends_the_test_message(client, services, session, owner,
                                                             smtp):
    controller, mailbox = smtp
    english(session, owner)
    assert services.config.reminders.smtp_host == ""  # nothing in the configuration
    assert 'data-testid="mail-server-form"' in client.get("/settings").get_data(as_text=True)
    saved = post_form(client, "/settings/mail", server_form(controller), follow_redirects=True)
    assert "The email server was saved" in page_text(saved)
    row = session.exec(select(MailSettings)).one()
    assert row.smtp_host == "127.0.0.1" and row.smtp_port == controller.port
    assert row.smtp_starttls is False and "mima" not in (row.smtp_password_sealed or "")
    page = client.get("/settings").get_data(as_text=True)
    assert "mima" not in page and 'value="127.0.0.1"' in page
    assert "Saved: leave empty to keep it" in page
    post_form(client, "/settings/reminder-email", {"email": "wo@example.com"})
    sent = post_form(client, "/settings/mail/test", follow_redirects=True)
    assert "A test message was sent to wo@example.com." in page_text(sent)
    [message] = mailbox.messages
    assert message["Subject"] == "Liuhen: a test message" and message["To"] == "wo@example.com"


def test_saving_again_without_a_password_keeps_the_saved_one(client, services, session, smtp):
    controller, mailbox = smtp
    post_form(client, "/settings/mail", server_form(controller))
    post_form(client, "/settings/mail", server_form(controller, smtp_password=""))
    session.expire_all()
    key = services.vault.subkey(SUBKEY)
    reminders, password = effective_reminders(session, services.config.reminders, key)
    assert password == "mima" and reminders.smtp_user == "wo"
    post_form(client, "/settings/mail", server_form(controller, smtp_password="",
                                                    forget_password="1"))
    session.expire_all()
    assert effective_reminders(session, services.config.reminders, key)[1] is None


def test_the_scheduler_sends_reminders_through_the_saved_server(client, services, session,
                                                                negotiation, owner, smtp):
    controller, mailbox = smtp
    post_form(client, "/settings/mail", server_form(controller))
    post_form(client, "/settings/reminder-email", {"email": "wo@example.com"})
    my_payment(session, negotiation, owner, "1000", "2024-12-13 23:59")
    run = ReminderScheduler(services).run(local("2024-12-10 09:00"))
    assert [(s.channel, s.outcome) for s in run.sent if s.channel == "email"] == [
        ("email", "sent")]
    [message] = mailbox.messages
    assert message["To"] == "wo@example.com"


def test_a_scheduler_already_running_follows_a_change_on_the_page(client, services, session,
                                                                  negotiation, owner, smtp):
    controller, mailbox = smtp
    scheduler = ReminderScheduler(services)  # started before anything was saved
    post_form(client, "/settings/mail", server_form(controller))
    post_form(client, "/settings/reminder-email", {"email": "wo@example.com"})
    my_payment(session, negotiation, owner, "1000", "2024-12-13 23:59")
    scheduler.run(local("2024-12-10 09:00"))
    assert len(mailbox.messages) == 1


def test_a_wrong_password_is_said_on_the_page(client, session, owner, smtp):
    controller, mailbox = smtp
    english(session, owner)
    post_form(client, "/settings/mail", server_form(controller, smtp_password="wrong"))
    post_form(client, "/settings/reminder-email", {"email": "wo@example.com"})
    reply = post_form(client, "/settings/mail/test", follow_redirects=True)
    assert "The test message was not sent" in page_text(reply)
    assert "refused the login of 'wo'" in page_text(reply) and mailbox.messages == []


def test_a_value_that_cannot_be_used_changes_nothing(client, session, owner, smtp):
    controller, _mailbox = smtp
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    reply = post_form(client, "/settings/mail", server_form(controller, smtp_port="eighty"),
                      follow_redirects=True)
    assert "端口是 1 到 65535 之间的数字" in page_text(reply)
    assert session.exec(select(MailSettings)).first() is None


def test_only_the_owner_or_an_admin_sets_the_server(app, other_user, smtp):
    controller, _mailbox = smtp
    member = sign_in(app.test_client(), "other", "other-password")
    assert 'data-testid="mail-server-form"' not in member.get("/settings").get_data(as_text=True)
    assert post_form(member, "/settings/mail", server_form(controller)).status_code == 403
