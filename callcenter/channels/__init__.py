"""Channels: wire protocols that feed the channel-agnostic orchestrator."""
