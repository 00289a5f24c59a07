"""OCR of screenshots and photos with RapidOCR's packaged models, and reading a chat's layout:
which side a bubble is on and the time stamps between messages.
"""
