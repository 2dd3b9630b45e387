"""SCIM 2.0 provisioning (RFC 7643/7644) at /scim/v2: identity providers create, change and
remove people, and each write becomes the same canonical org change an HRIS webhook sends."""
