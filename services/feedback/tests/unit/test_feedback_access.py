"""Who is an admin to feedback, from the service token's caller: admins read comments, flags
and insights; a person acts only for themselves."""

import pytest
from contracts.problems import Code
from feedback.entrypoints.dependencies import Access
from runtime.refusals import Refused
from service_auth.tokens import Caller


def test_a_person_is_never_an_admin_and_sees_only_themselves() -> None:
    access = Access.of(Caller(tenant_id="t", principal="person:p-1", scopes=("*",)))
    assert (access.person_id, access.is_admin) == ("p-1", False)
    assert access.may_see_person("p-1") and not access.may_see_person("p-2")
    with pytest.raises(Refused) as refused:
        access.require_admin("program")
    assert refused.value.code is Code.NOT_FOUND and refused.value.field is None


@pytest.mark.parametrize(
    ("principal", "scopes", "admin"),
    [
        ("apikey:k1", ("*",), True),
        ("apikey:k1", ("feedback:admin",), True),
        ("apikey:k1", ("people:read",), False),
        ("apikey:k1", (), False),
        ("system", (), True),
    ],
)
def test_admins_are_keys_with_an_admin_scope_and_the_system(
    principal: str, scopes: tuple[str, ...], admin: bool
) -> None:
    access = Access.of(Caller(tenant_id="t", principal=principal, scopes=scopes))
    assert access.person_id is None and access.is_admin is admin
    assert access.may_see_person("anyone") is admin
    # A key names whom it answers for; a person's token answers for the person.
    assert access.author.respondent("p-9") == "p-9"


def test_a_key_must_name_the_respondent_and_a_person_cannot_name_another() -> None:
    key = Access.of(Caller(tenant_id="t", principal="apikey:k1", scopes=("*",)))
    with pytest.raises(Refused) as missing:
        key.author.respondent(None)
    assert (missing.value.code, missing.value.field) == (Code.INVALID, "respondentId")
    person = Access.of(Caller(tenant_id="t", principal="person:p-1"))
    assert person.author.respondent(None) == "p-1"
    with pytest.raises(Refused) as other:
        person.author.respondent("p-2")
    assert (other.value.code, other.value.field) == (Code.NOT_FOUND, "respondentId")
