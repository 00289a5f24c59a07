"""The job queue (claim, lease, retry, cancel; its order in `fair`), the wake-up of idle workers
(`wakeup`: NOTIFY on PostgreSQL, a doorbell in one process, a file watch across SQLite
processes) and the worker loop that runs the handlers registered under the `liuhen.job_handlers`
entry point, passing each a `JobContext`.

Below the record (`logger.record.transcripts` queues a new transcription): may import only
logger's base modules (config, errors, services) and `storage`. Imports no ML code:
transcription's handlers are found through the entry point.
"""
