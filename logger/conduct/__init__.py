"""Collection conduct: rule sets as data (`rules/*.toml`), the checks over calls, messages and
the phone's call log, lexicon matches, findings with their dismissals.

May import `logger.record`, `logger.promises`, `logger.intake` (an imported call log is
evidence) and `storage`; never `logger.bundles`.
"""
