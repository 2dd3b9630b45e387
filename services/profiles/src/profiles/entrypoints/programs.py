"""Internal REST API: programs."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/programs", tags=["programs"])
