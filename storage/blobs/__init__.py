"""The encrypted blob store: the on-disk format (STREAM chunks of AES-256-GCM), streaming
writer and reader, the backends the ciphertext lives in (the local folder in `backend`,
S3-compatible object storage in `s3/`, the one place boto3 is imported), and the lock that
orders intake with verification.

Imports nothing else of the project.
"""
