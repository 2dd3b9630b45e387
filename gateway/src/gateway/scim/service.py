"""What Cairn's SCIM service is: its resource models, resource types, declared capabilities
(/ServiceProviderConfig) and how tolerant it is of real identity providers' payloads."""

import functools
from typing import Annotated, Any

from pydantic import Field
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Email,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Manager,
    Patch,
    Reference,
    Required,
    ResourceType,
    Schema,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)

MAX_RESULTS = 200  # the most resources one list answer holds

# Suggestions the schema publishes (RFC 7643 canonicalValues); any IANA zone and any
# BCP 47 language tag is accepted.
_TIME_ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Paris",
    "UTC",
]
_LANGUAGE_TAGS = ["de-DE", "en-GB", "en-US", "es-ES", "fr-FR", "ja-JP", "pt-BR", "zh-CN"]


class CairnManager(Manager):
    # Microsoft Entra and most HRIS send the manager's id only: $ref is optional here.
    ref: Annotated[Reference["User"] | None, Required.false] = Field(  # type: ignore[type-arg]
        None, serialization_alias="$ref", validation_alias="$ref"
    )


class CairnEnterpriseUser(EnterpriseUser):
    manager: CairnManager | None = None


class CairnEmail(Email):
    value: Annotated[str | None, Required.true] = None


class CairnUser(User[Any]):
    # A person in Cairn needs an email; declared required so clients know before they send.
    # (Narrower than User's: each address needs its value.)
    emails: Annotated[list[CairnEmail] | None, Required.true] = None  # type: ignore[assignment]
    timezone: str | None = Field(None, examples=_TIME_ZONES)
    preferred_language: str | None = Field(None, examples=_LANGUAGE_TAGS)
    locale: str | None = Field(None, examples=_LANGUAGE_TAGS)


UserResource: type[CairnUser] = CairnUser[CairnEnterpriseUser]  # type: ignore[misc]
GroupResource = Group
ENTERPRISE = CairnEnterpriseUser

# Attributes of the User schema Cairn does not serve: it takes no passwords (a password sent
# is dropped, never stored) and keeps group membership on the Groups only.
_UNSERVED_USER_ATTRIBUTES = frozenset({"password", "groups"})

CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=True),
    authentication_schemes=[
        AuthenticationScheme(
            type="oauthbearertoken",
            name="API key",
            description="Authorization: Bearer <the tenant's API key>",
            primary=True,
        )
    ],
)

# Microsoft Entra departs from RFC 7644 in known ways (remove operations selecting by value,
# replace on an emails[type eq "work"] filter that matches nothing yet); those are applied.
# Attributes no schema declares are dropped rather than refused, as Entra's custom mappings
# would otherwise fail whole provisioning cycles.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

PROVIDER = ScimProvider(
    models=[CairnUser, CairnEnterpriseUser, Group],
    resource_types=[
        ResourceType.from_resource(UserResource),
        ResourceType.from_resource(Group),
    ],
    config=CONFIG,
    policy=POLICY,
)


@functools.cache
def published_schemas() -> tuple[Schema, ...]:
    """/Schemas: the schemas of the served resources, less the attributes not served."""
    schemas = []
    for schema in PROVIDER.schemas:
        if schema.id == str(User.__schema__):
            schema = schema.model_copy(
                update={
                    "attributes": [
                        attribute
                        for attribute in schema.attributes or []
                        if attribute.name not in _UNSERVED_USER_ATTRIBUTES
                    ]
                }
            )
        schemas.append(schema)
    return tuple(schemas)


def resource_type(name: str) -> ResourceType | None:
    return next((rt for rt in PROVIDER.resource_types if rt.id == name), None)


def schema(schema_id: str) -> Schema | None:
    return next((s for s in published_schemas() if s.id == schema_id), None)
