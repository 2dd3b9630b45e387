"""Live program events for GraphQL subscriptions (`Subscription.programEvents`).

`events` turns a Cairn event into what a subscriber may see (ids only, never snapshots),
`broadcast` fans it out in memory to the subscribers of its tenant and program (bounded
queues: a slow subscriber is dropped, never waited for), `feed` reads the broker for it."""
