"""Evidence bundles for a complaint or a court: the originals, the 证据目录 (PDF/HTML/CSV), the
complaint letter draft, the signed manifest, the optional RFC 3161 time-stamp, and `verify.py`.

May import any capability of `logger` but the CLI. `verify.py` is standalone (standard library
only) and copied into every bundle.
"""
