"""The job handlers of this package (transcribe, OCR, scanned PDF pages), registered under the
`liuhen.job_handlers` entry point and run by `logger.jobs.worker`.
"""
