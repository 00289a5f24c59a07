"""The domain of Liuhen: config, negotiations, intake, custody log, verification and the CLI.

May import `storage`. Must not import `web` or `transcription` (and so never Flask or Whisper):
the same functions serve the browser, the CLI and the workers.

Inside, each capability may import only those below it (tests/test_layout.py keeps this):

    cli                                the `liuhen` command; nothing imports it
    hardship | backup                  the hardship application (减免申请书); backups, restore
    bundles                            evidence bundles
    reminders | conduct | extract      independent of each other
    intake                             getting files in
    promises | tokens                  promises and payments; API tokens
    record, negotiations               evidence, custody, transcripts, verify, search, timeline;
      sharing, members                 who may see a negotiation (shared with a helper), members
    jobs                               the job queue and its worker
    errors, i18n, config, secrets, services, accounts (with browser_sessions, signin_throttle)
      words, resemblance               English words; the learned model conduct and promises share

Two read sides reach up: `record.timeline` also reads promises, reminders and conduct, and the
overview in `negotiations` reads each negotiation's next promised payment.
"""
