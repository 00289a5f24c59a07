"""Backups of a deployment and their restore: the database as an encrypted portable dump, the
blobs' ciphertext copied once (`repository`: the backup folder and its authenticated
manifests; `dump`: the rows out and back in; `backup`: a new snapshot; `check`: `liuhen backup
verify`; `restore`: into an empty data dir, database and blob store).

Sits beside hardship, above bundles (the signing key's file) and the record (`verify` after a
restore); imports nothing from web or cli.
"""
