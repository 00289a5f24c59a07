"""Text from emails, PDFs, office documents and SMS backups, and their job handlers (a parsed
email's attachments become child evidence); merging overlapping chat screenshots. `common` holds
what every text-extraction handler shares, transcription's included.

May import `logger.intake`, `logger.jobs`, `logger.record`, `logger.promises` and `storage`.
"""
