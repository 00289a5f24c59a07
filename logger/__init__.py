"""The domain of Liuhen: config, negotiations, intake, custody log, verification and the CLI.

May import `storage`. Must not import `web` or `transcription` (and so never Flask or Whisper):
the same functions serve the browser, the CLI and the workers.
"""
