"""Requests per token per minute, counted in Django's cache (Redis when REDIS_URL is set, so every web
process shares the count); over the limit the API answers 429 with Retry-After."""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from api.models import ApiToken
from api.problems import Problem

WINDOW_SECONDS = 60


def check_rate(token: ApiToken) -> None:
    """Count this request in the token's current minute; raise 429 once the minute's limit is spent."""
    now = time.time()
    window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    key = f"api-rate:{token.prefix}:{window_start}"  # the prefix is random: no count outlives its token
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    limit = settings.API_REQUESTS_PER_MINUTE
    if count > limit:
        retry_after = max(1, math.ceil(window_start + WINDOW_SECONDS - now))
        raise Problem(
            "rate-limited",
            _("This token may make %(limit)s requests a minute. Try again in %(seconds)s s.")
            % {"limit": limit, "seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
