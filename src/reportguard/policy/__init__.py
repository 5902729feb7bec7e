"""Enforcement policy: what each report reason weighs and what a violation leads to."""

from reportguard.policy.schema import Policy, PolicyError, Reason, Rung, load_policy

__all__ = ["Policy", "PolicyError", "Reason", "Rung", "load_policy"]
