"""Promises and payments: suggestions read from transcripts and texts, promises kept once a
person confirms them, payments matched to what they pay, the ledger lines of the timeline.

May import `logger.record` and `storage`; not reminders, conduct, bundles or the CLI.
"""
