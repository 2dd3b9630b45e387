"""Who may call the public API and how much: integrator keys with scopes, end-user tokens from
the issuers a tenant registered, the one authorization policy the GraphQL resolvers consult,
and the points budgets every caller spends."""
