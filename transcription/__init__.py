"""Media to text: Whisper engines, audio decoding, OCR and the job worker.

May import `logger` and `storage`; never imported by `web` (the web process must start without
loading a model).
"""
