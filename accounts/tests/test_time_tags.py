"""{% local_time %}: the <time> element the lists render, in the active (the tenant's) time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template
from django.utils import timezone


def render(moment: datetime, shown: str = "") -> str:
    tag = f'{{% local_time moment "{shown}" %}}' if shown else "{% local_time moment %}"
    return Template("{% load time_tags %}" + tag).render(Context({"moment": moment}))


def test_a_time_is_shown_in_the_active_time_zone_with_its_iso_form():
    moment = datetime(2025, 10, 26, 0, 30, 5, tzinfo=UTC)  # 02:30 in Warsaw, the first time that day
    with timezone.override("Europe/Warsaw"):
        assert render(moment) == '<time datetime="2025-10-26T02:30:05+02:00">2025-10-26 02:30:05</time>'
        assert (
            render(moment, "%Y-%m-%d %H:%M")
            == '<time datetime="2025-10-26T02:30:05+02:00">2025-10-26 02:30</time>'
        )
    with timezone.override("America/New_York"):
        assert render(moment) == '<time datetime="2025-10-25T20:30:05-04:00">2025-10-25 20:30:05</time>'


def test_the_shown_form_is_escaped():
    with timezone.override("UTC"):
        html = render(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "<b>%Y</b>")
    assert html == '<time datetime="2025-01-02T03:04:05+00:00">&lt;b&gt;2025&lt;/b&gt;</time>'
