"""Internal REST API: imports."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/imports", tags=["imports"])
