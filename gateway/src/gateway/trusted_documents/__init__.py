"""Trusted documents: GraphQL operations a tenant registered, run by their sha256 id."""
