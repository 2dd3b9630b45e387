"""What the services answer the gateway on their internal REST APIs: the same vocabulary as
the events (snapshots), plus the views only an API needs (pages, histories, run details).
Services declare these as their response models; the gateway parses answers into them once."""
