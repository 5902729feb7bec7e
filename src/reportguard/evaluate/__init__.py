"""Score detection and triage against ground truth: the harness behind ``reportguard evaluate``."""
