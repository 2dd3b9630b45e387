"""SCIM Users: each write is one transaction that stores the SCIM state and the canonical org
changes it stands for in the gateway's outbox, and is answered once that has committed; the
relay publishes them (a broker that is down delays them, it does not refuse the write). Reads
answer from the stored SCIM state at once: profiles, which owns the person, converges on it
asynchronously through Kafka."""

import uuid
from datetime import datetime
from typing import Any, cast

from contracts.hris import HrisChange
from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow
from scim2_models import (
    ConflictException,
    Context,
    InvalidValueException,
    Meta,
    NotFoundException,
    Path,
    UniquenessException,
)
from sqlalchemy import CursorResult, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from gateway.domain.hris_delivery import HrisDelivery, received_events
from gateway.scim.filtering import Equals, NoMatch, Page
from gateway.scim.mapping import (
    SCIM_ATTRIBUTE_OF,
    canonical_changes,
    employee_view,
    manager_id,
    person_external_id,
    plan_create,
    plan_delete,
    plan_update,
)
from gateway.scim.patching import apply_patch
from gateway.scim.service import POLICY, PROVIDER, CairnUser, UserResource
from gateway.scim.tables import ProvisionedUser
from gateway.scim.versions import check_if_match, etag
from gateway.service_layer.org_changes import store_changes

USER_FILTERS = frozenset({"user_name", "external_id", "id"})
CHANNEL = "scim"  # HrisChangeReceived.channel
_USER_NAME = Path[UserResource]("userName").resolve()  # type: ignore[valid-type]


def scim_source(tenant_id: str) -> str:
    """SCIM's stand-in for a connection id: one SCIM source per tenant."""
    return f"scim:{tenant_id}"


def user_name_key(user_name: str) -> str:
    """userName as compared (RFC 7643: case-insensitive), for uniqueness and filters."""
    return POLICY.comparison_key(_USER_NAME, user_name)


async def create_user(
    uow_factory: UnitOfWorkFactory, tenant_id: str, user: CairnUser
) -> ProvisionedUser:
    scim_id = str(uuid.uuid4())
    user_name = _user_name(user)
    async with uow_factory() as uow:
        person = person_external_id(user, scim_id)
        view = employee_view(user, await _manager_external_id(uow, tenant_id, user, None))
        await _check_unique(uow, tenant_id, user_name, person, None)
        active = user.active is not False
        first = await _last_version(uow, tenant_id, person) + 1
        now = utcnow()
        changes = canonical_changes(
            plan_create(view, active),
            scim_id=scim_id,
            person_external_id=person,
            first_version=first,
            at=now,
        )
        row = ProvisionedUser(
            id=scim_id,
            tenant_id=tenant_id,
            user_name=user_name,
            user_name_key=user_name_key(user_name),
            external_id=user.external_id,
            person_external_id=person,
            active=active,
            version=first + len(changes) - 1,
            representation=_stored(user),
            employee=view,
            created_at=now,
            last_modified=now,
        )
        uow.session.add(row)
        try:
            await uow.session.flush()
        except IntegrityError as exc:  # a concurrent create won the race
            raise UniquenessException(detail="userName or externalId is already taken") from exc
        uow.session.expunge(row)
        await _store(uow, tenant_id, changes, now)
        await uow.commit()
    return row


async def replace_user(
    uow_factory: UnitOfWorkFactory,
    tenant_id: str,
    scim_id: str,
    user: CairnUser,
    if_match: str | None,
) -> ProvisionedUser:
    async with uow_factory() as uow:
        row = await _live(uow, tenant_id, scim_id)
        check_if_match(if_match, row.version)
        with PROVIDER:
            # PUT semantics (RFC 7644 §3.5.1): read-only kept, immutable checked.
            user.replace(_loaded(row))
        return await _write(uow, row, user)


async def patch_user(
    uow_factory: UnitOfWorkFactory, tenant_id: str, scim_id: str, patch: Any, if_match: str | None
) -> ProvisionedUser:
    async with uow_factory() as uow:
        row = await _live(uow, tenant_id, scim_id)
        check_if_match(if_match, row.version)
        return await _write(uow, row, apply_patch(_loaded(row), patch))


async def delete_user(
    uow_factory: UnitOfWorkFactory, tenant_id: str, scim_id: str, if_match: str | None
) -> None:
    """The person is terminated and the SCIM resource is gone (404 from now on); the row
    stays as a tombstone so the person's versions keep growing if provisioned again."""
    async with uow_factory() as uow:
        row = await _live(uow, tenant_id, scim_id)
        check_if_match(if_match, row.version)
        now = utcnow()
        changes = canonical_changes(
            plan_delete(),
            scim_id=row.id,
            person_external_id=row.person_external_id,
            first_version=row.version + 1,
            at=now,
        )
        await _compare_and_set(
            uow, row, version=row.version + 1, active=False, last_modified=now, deleted_at=now
        )
        await _store(uow, tenant_id, changes, now)
        await uow.commit()


async def get_user(uow: UnitOfWork, tenant_id: str, scim_id: str) -> ProvisionedUser:
    return await _live(uow, tenant_id, scim_id)


async def list_users(
    uow: UnitOfWork, tenant_id: str, criterion: Equals | NoMatch | None, window: Page
) -> tuple[int, list[ProvisionedUser]]:
    """(totalResults, the page), oldest first."""
    if isinstance(criterion, NoMatch):
        return 0, []
    where = [col(ProvisionedUser.tenant_id) == tenant_id, col(ProvisionedUser.deleted_at).is_(None)]
    if criterion is not None:
        where.append(_matching(criterion))
    total = await uow.session.scalar(
        select(func.count()).select_from(ProvisionedUser).where(*where)
    )
    rows = await uow.session.exec(
        select(ProvisionedUser)
        .where(*where)
        .order_by(col(ProvisionedUser.created_at), col(ProvisionedUser.id))
        .offset(window.offset)
        .limit(window.limit)
    )
    return int(total or 0), list(rows.all())


def render_user(row: ProvisionedUser, base_url: str) -> CairnUser:
    """The stored representation, as the client set it, with id and meta."""
    user: CairnUser = UserResource.model_validate(row.representation, scim_provider=PROVIDER)
    user.id = row.id
    user.meta = Meta(
        resource_type="User",
        created=row.created_at,
        last_modified=row.last_modified,
        location=f"{base_url}/Users/{row.id}",
        version=etag(row.version),
    )
    return user


async def _write(uow: UnitOfWork, row: ProvisionedUser, user: CairnUser) -> ProvisionedUser:
    user_name = _user_name(user)
    await _check_unique(uow, row.tenant_id, user_name, row.person_external_id, row.id)
    view = employee_view(user, await _manager_external_id(uow, row.tenant_id, user, row.id))
    active = user.active is not False
    now = utcnow()
    changes = canonical_changes(
        plan_update(row.employee, row.active, view, active),
        scim_id=row.id,
        person_external_id=row.person_external_id,
        first_version=row.version + 1,
        at=now,
    )
    # The SCIM resource changed even when nothing canonical did: its version moves anyway.
    values: dict[str, Any] = {
        "user_name": user_name,
        "user_name_key": user_name_key(user_name),
        "external_id": user.external_id,
        "active": active,
        "version": row.version + max(len(changes), 1),
        "representation": _stored(user),
        "employee": view,
        "last_modified": now,
    }
    await _compare_and_set(uow, row, **values)
    await _store(uow, row.tenant_id, changes, now)
    await uow.commit()
    for name, value in values.items():
        setattr(row, name, value)
    return row


async def _store(
    uow: UnitOfWork, tenant_id: str, changes: list[HrisChange], received_at: datetime
) -> None:
    """The write's canonical changes, into the outbox of the write's own transaction."""
    if changes:
        delivery = HrisDelivery(changes=changes)
        events = received_events(delivery, scim_source(tenant_id), CHANNEL, received_at)
        await store_changes(uow, tenant_id, events)


async def _compare_and_set(uow: UnitOfWork, row: ProvisionedUser, **values: Any) -> None:
    """Writes only if nobody wrote since `row` was read; a lost race is a 409 to retry."""
    try:
        result = await uow.session.execute(
            update(ProvisionedUser)
            .where(
                col(ProvisionedUser.id) == row.id,
                col(ProvisionedUser.version) == row.version,
            )
            .values(**values)
        )
    except IntegrityError as exc:  # a concurrent write took the userName
        raise UniquenessException(detail="userName is already taken") from exc
    if cast(CursorResult[Any], result).rowcount != 1:
        raise ConflictException(detail="the User changed meanwhile; read it again and retry")


async def _live(uow: UnitOfWork, tenant_id: str, scim_id: str) -> ProvisionedUser:
    row = (
        await uow.session.exec(
            select(ProvisionedUser).where(
                col(ProvisionedUser.id) == scim_id,
                col(ProvisionedUser.tenant_id) == tenant_id,
                col(ProvisionedUser.deleted_at).is_(None),
            )
        )
    ).first()
    if row is None:  # another tenant's user is just as unknown
        raise NotFoundException(detail=f"no User {scim_id}")
    uow.session.expunge(row)  # changes go through _compare_and_set, never the ORM
    return row


async def _check_unique(
    uow: UnitOfWork, tenant_id: str, user_name: str, person: str, own_id: str | None
) -> None:
    key = user_name_key(user_name)
    taken = (
        await uow.session.exec(
            select(ProvisionedUser).where(
                col(ProvisionedUser.tenant_id) == tenant_id,
                col(ProvisionedUser.deleted_at).is_(None),
                col(ProvisionedUser.id) != (own_id or ""),
                or_(
                    col(ProvisionedUser.user_name_key) == key,
                    col(ProvisionedUser.person_external_id) == person,
                ),
            )
        )
    ).all()
    for other in taken:
        if other.user_name_key == key:
            raise UniquenessException(detail=f"userName {user_name!r} is already taken")
        raise UniquenessException(
            detail=f"{person!r} (externalId or employeeNumber) already names another User"
        )


async def _manager_external_id(
    uow: UnitOfWork, tenant_id: str, user: CairnUser, own_id: str | None
) -> str | None:
    """The HRIS id of the manager the user names by SCIM id. A deleted manager still names
    their person, who profiles keeps as terminated."""
    reference = manager_id(user)
    if reference is None:
        return None
    attribute = SCIM_ATTRIBUTE_OF["manager_external_id"]
    if reference == own_id:
        raise InvalidValueException(detail=f"{attribute}: a User cannot manage themselves")
    person = (
        await uow.session.exec(
            select(ProvisionedUser.person_external_id).where(
                col(ProvisionedUser.tenant_id) == tenant_id, col(ProvisionedUser.id) == reference
            )
        )
    ).first()
    if person is None:
        raise InvalidValueException(detail=f"{attribute}: no User {reference!r}")
    return person


async def _last_version(uow: UnitOfWork, tenant_id: str, person: str) -> int:
    """The highest version this person reached over SCIM (0 if never provisioned before)."""
    highest = await uow.session.scalar(
        select(func.max(ProvisionedUser.version)).where(
            col(ProvisionedUser.tenant_id) == tenant_id,
            col(ProvisionedUser.person_external_id) == person,
        )
    )
    return int(highest or 0)


def _matching(criterion: Equals) -> Any:
    if criterion.attribute == "user_name":
        return col(ProvisionedUser.user_name_key) == user_name_key(criterion.value)
    if criterion.attribute == "external_id":
        return col(ProvisionedUser.external_id) == criterion.value
    return col(ProvisionedUser.id) == criterion.value


def _user_name(user: CairnUser) -> str:
    if not user.user_name:
        raise InvalidValueException(detail="userName: a User needs one")
    if len(user.user_name) > 512:
        raise InvalidValueException(detail="userName: at most 512 characters")
    return user.user_name


def _loaded(row: ProvisionedUser) -> CairnUser:
    user: CairnUser = UserResource.model_validate(row.representation, scim_provider=PROVIDER)
    user.id = row.id
    return user


def _stored(user: CairnUser) -> dict[str, Any]:
    """What is kept of a representation: all the client set, less read-only attributes and
    the password (Cairn takes none: it is dropped, never stored)."""
    kept = user.model_copy(deep=True)
    kept.password = None
    return kept.model_dump(scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
