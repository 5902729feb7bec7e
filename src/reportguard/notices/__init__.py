"""Notices to the people on both sides of a report, delivered through the webhook outbox.

Reporters get a receipt, the outcome (never the other party's details) and, where blocking or
muting fits better than enforcement, the safety tools; reported accounts get the statement of
reasons for an action, a protection notice when a campaign against them is detected, and a
reversal notice; reporters restricted for misuse get why, for how long and how to appeal.
"""

from reportguard.notices.templates import KINDS, NoticeTemplates, language_chain

__all__ = ["KINDS", "NoticeTemplates", "language_chain"]
