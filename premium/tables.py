"""The rows of the numbers list, joined in Python.

Fifty rows of template tags, translations and three reverse()s each took most of the page's time
(bench/pages.py); here each translation and URL is looked up once per page, and every provider or
translated text is escaped before it is joined. The list and its one-row HTMX answers use it alike.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Role
from accounts.tenancy import TenantRequest
from premium.models import PremiumNumber
from providers.formatting import figures, phone_html
from providers.pages import url_for_each


def number_rows(
    request: TenantRequest, numbers: list[PremiumNumber], *, just_saved: bool = False
) -> SafeString:
    """The list's rows, joined here: 50 rows of template tags, translations and three reverse()s each took
    most of the page's time. Every text from the provider or a translation is escaped."""
    slug = request.tenant.slug
    can_operate, can_manage = request.role >= Role.OPERATOR, request.role >= Role.ADMIN
    details_url = url_for_each("premium:number", "number_id", tenant_slug=slug)
    redirect_url = url_for_each("premium:number-redirect", "number_id", tenant_slug=slug)
    delete_url = url_for_each("premium:number-delete", "number_id", tenant_slug=slug)
    shown = figures()
    select = _("Select %(number)s")
    details_title = escape(_("Its redirect history, calls and earnings"))
    other, none = escape(_("other")), escape(_("none"))
    presentation_unknown = (
        f'<span class="muted" title="{escape(_("The provider does not report it; it is known once set here."))}">'
        f"{escape(pgettext('presentation', 'not known'))}</span>"
    )
    announcement = {
        None: f'<span class="muted">{escape(pgettext("announcement", "not known"))}</span>',
        True: escape(_("on")),
        False: escape(_("off")),
    }
    edit = f'title="{escape(_("Edit redirect"))}">{escape(pgettext("row action", "Redirect"))}</a>'
    delete = f'class="premium-danger-link">{escape(_("Delete"))}</a>'
    saved = ' class="premium-just-saved"' if just_saved else ""
    vat_shown: dict[Decimal, str] = {}  # a few rates for all the numbers
    rows = []
    for number in numbers:
        pk, shown_number = number.pk, phone_html(number.number)
        cells = [f'<tr id="number-{pk}"{saved}>']
        if can_operate:
            cells.append(
                f'<td><input type="checkbox" name="numbers" value="{pk}" form="bulk-redirect" '
                f'aria-label="{select % {"number": shown_number}}"></td>'
            )
        if number.vat_percent is not None and number.vat_percent not in vat_shown:
            vat_shown[number.vat_percent] = escape(floatformat(number.vat_percent, "-2"))
        if number.redirect_to:
            target = phone_html(number.redirect_to)
        elif number.redirect_setting:
            target = f'<span title="{escape(number.redirect_setting)}">{other}</span>'
        else:
            target = f'<span class="muted">{none}</span>'
        if number.presentation:
            presentation = (
                f'<span title="{escape(number.get_presentation_display())}">'
                f"{escape(number.presentation_short)}</span>"
            )
        else:
            presentation = presentation_unknown
        actions = []
        if can_operate:
            url = redirect_url(pk)
            actions.append(
                f'<a href="{url}" hx-get="{url}" hx-target="closest tr" hx-swap="outerHTML" {edit}'
            )
        if can_manage:
            actions.append(f'<a href="{delete_url(pk)}" {delete}')
        cells.append(
            f'<th scope="row"><a href="{details_url(pk)}" title="{details_title}">{shown_number}</a></th>'
            f'<td class="numeric">{number.tariff}</td>'
            f'<td class="numeric">{shown.money(number.price_net) if number.price_net is not None else "—"}</td>'
            f'<td class="numeric">{vat_shown[number.vat_percent] + "%" if number.vat_percent is not None else "—"}</td>'
            f'<td class="numeric">{shown.money(number.price_gross) if number.price_gross is not None else "—"}</td>'
            f"<td>{target}</td><td>{presentation}</td><td>{announcement[number.announcement]}</td>"
            f'<td class="row-actions">{" ".join(actions)}</td></tr>'
        )
        rows.append("".join(cells))
    return mark_safe("".join(rows))  # escaped above
