"""Enforcement: a decision becomes an action as data (plan), which a separate step carries out."""
