"""The hardship application (减免申请书): the borrower's circumstances (`application`), the
plan their budget allows (`plan`), the proofs they attach (`proofs`), the letter in Chinese or
English (`letter`) as PDF (`pdf`) and Word (`word`), and marking it as sent (`sending`).

Sits above bundles (it borrows the PDFs' Chinese font) and intake (a sent application is
evidence); imports nothing from web or cli.
"""
