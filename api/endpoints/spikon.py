"""SPIKON."""

from ninja import Router

router = Router(tags=["SPIKON"])
