"""SCIM Groups, kept for identity providers that provision them. Cairn does not use groups
yet beyond provisioning: nothing is published, and no other service reads them."""

import uuid
from typing import Any, cast

from messaging.outbox import UnitOfWork, UnitOfWorkFactory, utcnow
from scim2_models import (
    ConflictException,
    Context,
    Group,
    InvalidValueException,
    Meta,
    NotFoundException,
    Path,
)
from sqlalchemy import CursorResult, delete, func, update
from sqlmodel import col, select

from gateway.scim.filtering import Equals, NoMatch, Page
from gateway.scim.patching import apply_patch
from gateway.scim.service import POLICY, PROVIDER
from gateway.scim.tables import ProvisionedGroup, ProvisionedUser
from gateway.scim.versions import check_if_match, etag

GROUP_FILTERS = frozenset({"display_name", "external_id", "id"})
_DISPLAY_NAME = Path[Group]("displayName").resolve()


def display_name_key(display_name: str) -> str:
    return POLICY.comparison_key(_DISPLAY_NAME, display_name)


async def create_group(
    uow_factory: UnitOfWorkFactory, tenant_id: str, group: Group
) -> ProvisionedGroup:
    async with uow_factory() as uow:
        scim_id = str(uuid.uuid4())
        await _check_members(uow, tenant_id, group, scim_id)
        now = utcnow()
        display_name = _display_name(group)
        row = ProvisionedGroup(
            id=scim_id,
            tenant_id=tenant_id,
            display_name=display_name,
            display_name_key=display_name_key(display_name),
            external_id=group.external_id,
            version=1,
            representation=_stored(group),
            created_at=now,
            last_modified=now,
        )
        uow.session.add(row)
        await uow.session.flush()
        uow.session.expunge(row)
        await uow.commit()
    return row


async def replace_group(
    uow_factory: UnitOfWorkFactory, tenant_id: str, scim_id: str, group: Group, if_match: str | None
) -> ProvisionedGroup:
    async with uow_factory() as uow:
        row = await _live(uow, tenant_id, scim_id)
        check_if_match(if_match, row.version)
        with PROVIDER:
            group.replace(_loaded(row))
        return await _write(uow, row, group)


async def patch_group(
    uow_factory: UnitOfWorkFactory, tenant_id: str, scim_id: str, patch: Any, if_match: str | None
) -> ProvisionedGroup:
    async with uow_factory() as uow:
        row = await _live(uow, tenant_id, scim_id)
        check_if_match(if_match, row.version)
        return await _write(uow, row, apply_patch(_loaded(row), patch))


async def delete_group(
    uow_factory: UnitOfWorkFactory, tenant_id: str, scim_id: str, if_match: str | None
) -> None:
    async with uow_factory() as uow:
        row = await _live(uow, tenant_id, scim_id)
        check_if_match(if_match, row.version)
        await uow.session.exec(
            delete(ProvisionedGroup).where(
                col(ProvisionedGroup.id) == row.id, col(ProvisionedGroup.version) == row.version
            )
        )
        await uow.commit()


async def get_group(uow: UnitOfWork, tenant_id: str, scim_id: str) -> ProvisionedGroup:
    return await _live(uow, tenant_id, scim_id)


async def list_groups(
    uow: UnitOfWork, tenant_id: str, criterion: Equals | NoMatch | None, window: Page
) -> tuple[int, list[ProvisionedGroup]]:
    """(totalResults, the page), oldest first."""
    if isinstance(criterion, NoMatch):
        return 0, []
    where = [col(ProvisionedGroup.tenant_id) == tenant_id]
    if criterion is not None:
        where.append(_matching(criterion))
    total = await uow.session.scalar(
        select(func.count()).select_from(ProvisionedGroup).where(*where)
    )
    rows = await uow.session.exec(
        select(ProvisionedGroup)
        .where(*where)
        .order_by(col(ProvisionedGroup.created_at), col(ProvisionedGroup.id))
        .offset(window.offset)
        .limit(window.limit)
    )
    return int(total or 0), list(rows.all())


def render_group(row: ProvisionedGroup, base_url: str) -> Group:
    group = Group.model_validate(row.representation, scim_provider=PROVIDER)
    group.id = row.id
    group.meta = Meta(
        resource_type="Group",
        created=row.created_at,
        last_modified=row.last_modified,
        location=f"{base_url}/Groups/{row.id}",
        version=etag(row.version),
    )
    return group


async def _write(uow: UnitOfWork, row: ProvisionedGroup, group: Group) -> ProvisionedGroup:
    await _check_members(uow, row.tenant_id, group, row.id)
    display_name = _display_name(group)
    values: dict[str, Any] = {
        "display_name": display_name,
        "display_name_key": display_name_key(display_name),
        "external_id": group.external_id,
        "version": row.version + 1,
        "representation": _stored(group),
        "last_modified": utcnow(),
    }
    result = await uow.session.execute(
        update(ProvisionedGroup)
        .where(col(ProvisionedGroup.id) == row.id, col(ProvisionedGroup.version) == row.version)
        .values(**values)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise ConflictException(detail="the Group changed meanwhile; read it again and retry")
    await uow.commit()
    for name, value in values.items():
        setattr(row, name, value)
    return row


async def _check_members(uow: UnitOfWork, tenant_id: str, group: Group, own_id: str) -> None:
    """Members are the tenant's live Users and Groups, named by SCIM id."""
    wanted = [member.value for member in group.members or []]
    for index, value in enumerate(wanted):
        if not value:
            raise InvalidValueException(detail=f"members[{index}].value: a member needs an id")
        if value == own_id:
            raise InvalidValueException(
                detail=f"members[{index}].value: a Group cannot contain itself"
            )
    ids = set(cast(list[str], wanted))
    if not ids:
        return
    users = await uow.session.exec(
        select(ProvisionedUser.id).where(
            col(ProvisionedUser.tenant_id) == tenant_id,
            col(ProvisionedUser.deleted_at).is_(None),
            col(ProvisionedUser.id).in_(ids),
        )
    )
    groups = await uow.session.exec(
        select(ProvisionedGroup.id).where(
            col(ProvisionedGroup.tenant_id) == tenant_id, col(ProvisionedGroup.id).in_(ids)
        )
    )
    known = set(users.all()) | set(groups.all())
    for index, value in enumerate(wanted):
        if value not in known:
            raise InvalidValueException(
                detail=f"members[{index}].value: no User or Group {value!r}"
            )


async def _live(uow: UnitOfWork, tenant_id: str, scim_id: str) -> ProvisionedGroup:
    row = (
        await uow.session.exec(
            select(ProvisionedGroup).where(
                col(ProvisionedGroup.id) == scim_id, col(ProvisionedGroup.tenant_id) == tenant_id
            )
        )
    ).first()
    if row is None:
        raise NotFoundException(detail=f"no Group {scim_id}")
    uow.session.expunge(row)
    return row


def _matching(criterion: Equals) -> Any:
    if criterion.attribute == "display_name":
        return col(ProvisionedGroup.display_name_key) == display_name_key(criterion.value)
    if criterion.attribute == "external_id":
        return col(ProvisionedGroup.external_id) == criterion.value
    return col(ProvisionedGroup.id) == criterion.value


def _display_name(group: Group) -> str:
    if not group.display_name:
        raise InvalidValueException(detail="displayName: a Group needs one")
    if len(group.display_name) > 512:
        raise InvalidValueException(detail="displayName: at most 512 characters")
    return group.display_name


def _loaded(row: ProvisionedGroup) -> Group:
    group = Group.model_validate(row.representation, scim_provider=PROVIDER)
    group.id = row.id
    return group


def _stored(group: Group) -> dict[str, Any]:
    return group.model_dump(scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
