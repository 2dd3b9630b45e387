"""Outbound webhooks: integrators subscribe to Cairn's public events and receive them signed
per Standard Webhooks, retried with backoff, logged per subscription and replayable.

domain: `schedule` (retry schedule and the delivery state machine), `targets` (which URLs and
addresses a delivery may reach), `signing`, `payloads` (what leaves, and what never does),
`event_types` (what may be subscribed to). I/O: `tables`, `sending` (guarded HTTP), the use
cases in `subscriptions` and `fanout`, and the delivery `worker`."""
