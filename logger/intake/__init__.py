"""Getting files in: `ingest` (one function for the browser, API, CLI, watched folder and mail-in),
the type sniffer, the metadata readers, the watched folder and the IMAP mail-in.

May import `logger.record`, `logger.promises` (suggestions) and `storage`.
"""
