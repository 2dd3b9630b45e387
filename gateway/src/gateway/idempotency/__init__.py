"""`Idempotency-Key` on creating mutations: a repeat gets the first answer (Stripe's rules)."""
