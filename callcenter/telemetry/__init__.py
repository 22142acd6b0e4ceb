"""What the running service tells its operator: Prometheus metrics and OpenTelemetry spans."""
