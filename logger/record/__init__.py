"""The record itself: evidence items, the custody log (a hash chain), transcripts and the
corrections people make to machine-read text, the integrity check of a data dir, the timeline
of a negotiation as a person reads it (imported calls included), search across the evidence,
and keeping it tidy without losing any: the trash, moving an item, archiving a negotiation.

May import `storage`, logger's base modules (config, errors, services...) and `logger.jobs` (a
new transcription is a queued job); the timeline (`timeline`, `timeline_flags`) also reads
promises, sent reminders and conduct findings, the read side above those packages. Never Flask or
Whisper.
"""
