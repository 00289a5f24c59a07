"""The record itself: evidence items, the custody log (a hash chain), transcripts and their
edits, the integrity check of a data dir, and the timeline of a negotiation as a person reads it.

May import `storage`, logger's base modules (config, errors, services...) and `logger.jobs` (a
new transcription is a queued job); the timeline also reads promises, reminders and conduct
findings. Never Flask or Whisper.
"""
