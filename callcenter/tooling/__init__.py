"""Tooling: how a business declares typed tools (`toolkit`, `args`) and how a turn runs them (`executor`)."""
