"""The encrypted blob store: the on-disk format (STREAM chunks of AES-256-GCM), streaming
writer and reader, the local-folder store, and the lock that orders intake with verification.

Imports nothing else of the project.
"""
