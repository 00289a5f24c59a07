"""The words a bundle uses for each kind of evidence: its label and file-name word, the purpose
prefilled when nothing more specific is known, and where the file comes from (证据来源). Kept
apart from `items` so that every kind, present and future, is named in one short table.
"""

from __future__ import annotations

from logger.i18n import N_, NC_
from storage.models import EvidenceKind

# kind -> (its label, its word in a file name). The words of a bundle are formal (for a court),
# so some differ from the web's ("bundle" context); a Chinese file name uses the label.
KIND_WORDS = {
    EvidenceKind.call: (NC_("bundle", "Call recording"), NC_("file name", "call-recording")),
    EvidenceKind.chat: (NC_("bundle", "Chat screenshot"), NC_("file name", "chat")),
    EvidenceKind.email: (NC_("bundle", "Email"), NC_("file name", "email")),
    EvidenceKind.letter: (NC_("bundle", "Letter"), NC_("file name", "letter")),
    EvidenceKind.document: (NC_("bundle", "Document"), NC_("file name", "document")),
    EvidenceKind.sms: (NC_("bundle", "Text messages"), NC_("file name", "sms")),
    EvidenceKind.note: (NC_("bundle", "Note"), NC_("file name", "note")),
    EvidenceKind.payment_receipt: (NC_("bundle", "Payment receipt"),
                                   NC_("file name", "payment-receipt")),
    EvidenceKind.agreement: (NC_("bundle", "Written agreement or confirmation"),
                             NC_("file name", "agreement")),
    EvidenceKind.hardship_proof: (NC_("bundle", "Hardship proof"),
                                  NC_("file name", "hardship-proof")),
}

# kind -> the prefilled purpose when nothing more specific is known.
KIND_PURPOSES = {
    EvidenceKind.call: N_("Shows what was said in the calls about repayment"),
    EvidenceKind.chat: N_("Shows the chat messages exchanged"),
    EvidenceKind.email: N_("Shows the emails exchanged"),
    EvidenceKind.letter: N_("Shows the letters sent to me"),
    EvidenceKind.document: N_("Shows the content of the documents"),
    EvidenceKind.sms: N_("Shows the collection text messages"),
    EvidenceKind.note: N_("My own record of the negotiation"),
    EvidenceKind.payment_receipt: N_("Shows the payments I made"),
    EvidenceKind.agreement: N_("Shows what the two sides agreed in writing"),
    EvidenceKind.hardship_proof: N_("Shows the hardship that stops me paying as agreed"),
}
# A letter I sent (a hardship application marked as sent, say) is not one sent to me.
LETTER_FROM_ME = N_("Shows the letters I sent")
CALL_FROM_THEM = N_("Shows when the collector called and what was said")

# kind -> where the file comes from (证据来源); an email from the other side was received.
SOURCES = {
    EvidenceKind.call: N_("Recorded on my phone"),
    EvidenceKind.chat: N_("Screenshot taken on my phone"),
    EvidenceKind.email: N_("Email from my mailbox"),
    EvidenceKind.letter: N_("Letter I received (photo or scan)"),
    EvidenceKind.sms: N_("Text messages on my phone"),
    EvidenceKind.payment_receipt: N_("My payment record"),
    EvidenceKind.agreement: N_("Written agreement or confirmation I received"),
    EvidenceKind.note: N_("Written by me"),
    EvidenceKind.document: N_("File I kept"),
    EvidenceKind.hardship_proof: N_("Proof of my hardship that I kept"),
}
EMAIL_RECEIVED = N_("Email received in my mailbox")
LETTER_SENT = N_("Copy of the letter I sent")
