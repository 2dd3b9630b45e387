"""Forgetting a person: the gateway's part (its own copies of the person), the request a tenant
admin made, and which services have confirmed they forgot the person."""
