"""Specialists: the seam the orchestrator calls, deterministic flows, the model backend, escalation
signals, the verifier, the judge and the tier policy."""
