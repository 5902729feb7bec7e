"""Detect: signals over the report stream fused into explained campaigns."""
