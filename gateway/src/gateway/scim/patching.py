"""PATCH (RFC 7644 §3.5.2) as identity providers really send it. Pure.

scim2-models applies the operations (add/replace/remove, with or without a path, value
filters, Entra's remove-by-value under the service policy); this module only reshapes what
that cannot read: Microsoft Entra sends the enterprise manager as a bare id string.
"""

from __future__ import annotations

from typing import Any, TypeVar

from scim2_models import Context, PatchOp, Resource

from gateway.scim.service import ENTERPRISE, PROVIDER

R = TypeVar("R", bound=Resource[Any])
_MANAGER = f"{ENTERPRISE.__schema__}:manager".casefold()


def read_patch(model: type[Resource[Any]], body: Any) -> PatchOp[Any]:
    """Validates a PatchOp request body for `model`; raises pydantic's ValidationError."""
    return PatchOp[model].model_validate(  # type: ignore[valid-type]
        _entra_shaped(body), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_provider=PROVIDER
    )


def apply_patch(resource: R, patch: PatchOp[Any]) -> R:
    """A patched copy of `resource`; the operations apply as a whole or not at all."""
    patched = resource.model_copy(deep=True)
    with PROVIDER:
        patch.patch(patched)
    return patched


def _entra_shaped(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    operations = body.get("Operations")
    if not isinstance(operations, list):
        return body
    return {**body, "Operations": [_operation(op) for op in operations]}


def _operation(operation: Any) -> Any:
    if not isinstance(operation, dict):
        return operation
    path, value = operation.get("path"), operation.get("value")
    if isinstance(path, str) and path.casefold() == _MANAGER and isinstance(value, str):
        return {**operation, "value": {"value": value}}
    if path is None and isinstance(value, dict):
        reshaped = {
            key: {"value": item}
            if isinstance(key, str) and key.casefold() == _MANAGER and isinstance(item, str)
            else item
            for key, item in value.items()
        }
        return {**operation, "value": reshaped}
    return operation
