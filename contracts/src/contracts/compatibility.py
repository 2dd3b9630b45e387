"""Is a new JSON Schema of an event backward compatible with the one consumers know?

Allowed: adding optional fields, adding enum values, loosening constraints we do not track.
Breaking: removing or renaming a field, changing its type or widening it (e.g. now nullable),
making a field required (old producers' events lack it), making a required field optional
(readers rely on it), removing an enum value. Pure: two schemas in, a list of problems out.
"""

from typing import Any

Schema = dict[str, Any]


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    problems: list[str] = []
    _compare(old, new, old, new, "$", problems, seen=set())
    return problems


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        node = root.get("$defs", {}).get(name, {})
    return node


def _variants(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    if "anyOf" in node:
        return [v for branch in node["anyOf"] for v in _variants(branch, root)]
    return [node]


def _kind(node: Schema) -> str:
    """A type label precise enough to notice a retype (string vs date-time, int vs number)."""
    if "enum" in node or "const" in node:
        return "enum"
    if "properties" in node:
        return "object"
    return f"{node.get('type', 'any')}:{node.get('format', '')}"


def _compare(
    old: Schema,
    new: Schema,
    old_root: Schema,
    new_root: Schema,
    path: str,
    problems: list[str],
    seen: set[tuple[int, int]],
) -> None:
    key = (id(old), id(new))
    if key in seen:  # recursive schemas
        return
    seen.add(key)
    old_variants = _variants(old, old_root)
    new_variants = _variants(new, new_root)
    new_by_kind = {_kind(v): v for v in new_variants}
    old_kinds = {_kind(v) for v in old_variants}
    for kind in sorted(set(new_by_kind) - old_kinds):
        # A value that may now be null (or of another type) breaks readers that relied on it.
        problems.append(f"{path}: now also accepts {kind}")
    for old_variant in old_variants:
        kind = _kind(old_variant)
        match = new_by_kind.get(kind)
        if match is None:
            problems.append(f"{path}: type {kind} is no longer accepted")
            continue
        if kind == "enum":
            gone = set(_enum_values(old_variant)) - set(_enum_values(match))
            if gone:
                problems.append(f"{path}: enum values removed: {sorted(map(str, gone))}")
        elif kind == "object":
            _compare_object(old_variant, match, old_root, new_root, path, problems, seen)
        elif kind.startswith("array") and "items" in old_variant:
            _compare(
                old_variant["items"],
                match.get("items", {}),
                old_root,
                new_root,
                f"{path}[]",
                problems,
                seen,
            )


def _enum_values(node: Schema) -> list[Any]:
    return list(node.get("enum", [node.get("const")]))


def _compare_object(
    old: Schema,
    new: Schema,
    old_root: Schema,
    new_root: Schema,
    path: str,
    problems: list[str],
    seen: set[tuple[int, int]],
) -> None:
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    old_required = set(old.get("required", []))
    new_required = set(new.get("required", []))
    for name, old_prop in old_props.items():
        where = f"{path}.{name}"
        if name not in new_props:
            problems.append(f"{where}: field removed or renamed")
            continue
        if name in old_required and name not in new_required:
            problems.append(f"{where}: was required, now optional")
        _compare(old_prop, new_props[name], old_root, new_root, where, problems, seen)
    for name in sorted(new_required - old_required):
        problems.append(f"{path}.{name}: new required field")
