"""Kafka plumbing every service uses the same way: envelope, outbox and relay, consumer loop."""
