"""Triage: reports become cases, weighed by credible, independent voices rather than by count."""
