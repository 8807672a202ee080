"""`{% local_time value %}`: a <time> element in the current (the tenant's) time zone, made cheaply.

Django's `date` filter formats through DateFormat, about 40 µs a call; a list of 50 rows with two
times each spent 4 ms of its page on it. strftime does the same in a tenth of the time.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def local_time(moment: datetime, shown: str = "%Y-%m-%d %H:%M:%S") -> SafeString:
    """<time datetime="ISO 8601">`shown` (a strftime format)</time>, in the current time zone."""
    local = timezone.localtime(moment)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), local.strftime(shown))
