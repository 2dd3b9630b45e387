"""OpenTelemetry for Cairn: one setup, and trace context carried through Kafka headers."""
