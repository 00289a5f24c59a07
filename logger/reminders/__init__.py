"""Reminders before promised dates and for missed promises: in-app notifications, email, webhook,
the private calendar feed, and the single scheduler that sends them.

May import `logger.promises`, `logger.record` and `storage`.
"""
