"""HRIS providers pushing org changes to the gateway: one module per provider (its signature
scheme and payload), the shapes they share, and the registry that names them."""
