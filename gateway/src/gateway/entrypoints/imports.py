"""REST uploads of org snapshots (CSV or JSON), authenticated by API key."""

from fastapi import APIRouter

router = APIRouter(tags=["imports"])
