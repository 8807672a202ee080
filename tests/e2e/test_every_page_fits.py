"""Every tenant page, found by following the navigation from the tenant's overview, fits a laptop
(1366 × 900) and a phone (390 × 844): the page is never wider than the window, no visible control lies
outside it (a wide table scrolls inside its own box, its row actions stay in view), the sticky row actions
never lie over the data beside them, no two controls of a form overlap, no button's words are cut off, and
nothing logs a console error or breaks the CSP. And an invalid value sent from each
inline form comes back in place, the page keeping its layout.

With SCREENSHOTS=<folder> in the environment, a full-page screenshot of every page at both widths is
saved there, to be looked at.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from accounts.models import Membership, Role, Tenant, User
from conftest import PASSWORD
from tests.e2e.conftest import log_in
from tests.providers import connect, served_providers, sync_everything

pytestmark = pytest.mark.browser

WINDOWS = {"laptop": (1366, 900), "phone": (390, 844)}

# Links followed to find the pages: the navigation first, then what the pages link to.
LINKS = "nav.tenant-nav a[href], nav.subnav a[href], main a[href]"

LAYOUT_PROBLEMS = r"""
() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const name = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""} "${(el.innerText || el.value || el.name || el.getAttribute("aria-label") || "").trim().slice(0, 40)}"`;
  // Drawn on the screen: a closed dropdown's items have a box, but are not rendered.
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 1 && box.height > 1 && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  };
  // A control inside a box that scrolls sideways is reached by scrolling that box, unless it sits in a
  // sticky cell (the row actions), which must be in view.
  const scrolledAway = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.position === "sticky") return false;
      if (style.overflowX === "auto" || style.overflowX === "scroll") return true;
    }
    return false;
  };
  if (document.documentElement.scrollWidth > width + 1) {
    // Name the outermost elements that stick out, to say where the page widens.
    const wide = [...document.body.querySelectorAll("*")].filter((el) =>
      el.getBoundingClientRect().right > width + 1 && el.getBoundingClientRect().width > 0 && !scrolledAway(el)
      && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1));
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide: ${wide.slice(0, 3).map(name).join(", ")}`);
  }
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(controls)) {
    if (!shown(el) || scrolledAway(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.left < -1 || box.right > width + 1) {
      problems.push(`${name(el)} lies outside the window (${Math.round(box.left)} to ${Math.round(box.right)})`);
    }
  }
  for (const form of document.forms) {
    const fields = [...form.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
      .filter(shown).map((el) => [el, el.getBoundingClientRect()]);
    fields.forEach(([a, boxA], i) => fields.slice(i + 1).forEach(([b, boxB]) => {
      const across = Math.min(boxA.right, boxB.right) - Math.max(boxA.left, boxB.left);
      const down = Math.min(boxA.bottom, boxB.bottom) - Math.max(boxA.top, boxB.top);
      if (across > 2 && down > 2) problems.push(`${name(a)} and ${name(b)} overlap`);
    }));
  }
  // A sticky cell (the row actions) must not lie over another cell of its row: the data under it is hidden.
  // Named once a table.
  for (const table of document.querySelectorAll("main table")) {
    const covered = [...table.rows].flatMap((row) => {
      const cells = [...row.cells].filter(shown);
      return cells.filter((cell) => getComputedStyle(cell).position === "sticky").flatMap((cell) => {
        const box = cell.getBoundingClientRect();
        return cells.filter((other) => other !== cell && getComputedStyle(other).position !== "sticky"
          && Math.min(box.right, other.getBoundingClientRect().right) - Math.max(box.left, other.getBoundingClientRect().left) > 2)
          .map((other) => `${name(cell)} covers ${name(other)}`);
      });
    });
    if (covered.length) problems.push(covered[0]);
  }
  // A button, a summary or a link drawn as a button shows all its words.
  for (const el of document.querySelectorAll("main button, main [role=button], main summary")) {
    if (shown(el) && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} is cut off`);
    }
  }
  return problems;
}
"""


@pytest.fixture
def demo_tenant(transactional_db, settings, tmp_path):
    """A tenant with all three accounts on the sandboxes and everything synced, and its owner."""
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant = Tenant.objects.create(slug="demo", name="Demo Telekom")
    owner = User.objects.create_user("anna", password=PASSWORD)
    Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    with served_providers() as providers:
        providers.premium.calls_per_month = 120
        providers.premium.calls_until_now = True
        connect(tenant, providers)
        sync_everything(tenant)
        yield tenant, owner


def view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def find_pages(page, base_url: str, tenant: Tenant) -> dict[str, str]:
    """One path per view, found by following links from the tenant's overview: {view name: path}."""
    prefix = f"/t/{tenant.slug}/"
    found: dict[str, str] = {}
    queue = [prefix]
    while queue:
        path = queue.pop(0)
        name = view_name(urlsplit(path).path)
        if name is None or name in found:
            continue
        answer = page.request.get(f"{base_url}{path}", max_redirects=0)
        if answer.status != 200 or not answer.headers.get("content-type", "").startswith("text/html"):
            continue  # a download, a redirect or a refusal: not a page
        if "<main" not in answer.text():
            continue  # a fragment for HTMX
        found[name] = path
        page.goto(f"{base_url}{path}")
        hrefs = page.eval_on_selector_all(LINKS, "links => links.map((a) => a.getAttribute('href'))")
        for href in hrefs:
            parts = urlsplit(href)
            if not parts.scheme and parts.path.startswith(prefix):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def test_every_tenant_page_fits_a_laptop_and_a_phone(live_server, watched_page, demo_tenant):
    tenant, owner = demo_tenant
    page = watched_page
    log_in(page, live_server, owner)
    pages = find_pages(page, live_server.url, tenant)
    # The navigation leads to every app's pages and their objects (more as pages are added).
    assert len(pages) >= 35, sorted(pages)
    for expected in (
        "tenant-home",
        "premium:numbers",
        "premium:billing",
        "spikon:phonebook",
        "sms:subaccount",
    ):
        assert expected in pages, sorted(pages)

    shots = os.environ.get("SCREENSHOTS")
    problems: dict[str, list[str]] = {}
    for window, (width, height) in WINDOWS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            found = page.evaluate(LAYOUT_PROBLEMS) + page.problems + page.csp_violations()
            page.problems.clear()
            if found:
                problems[f"{window} {path}"] = found
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/{name.replace(':', '-')}-{width}.png", full_page=True)
    assert not problems, "\n".join(f"{where}: {'; '.join(found)}" for where, found in problems.items())


# An inline editor opens in place (a table row turns into its form).
INLINE_EDITORS = "main tr a[hx-get][hx-target='closest tr']"


def open_inline_editor(page) -> None:
    if page.locator(INLINE_EDITORS).count():
        page.locator(INLINE_EDITORS).first.click()
        page.wait_for_selector("main tr form")


# What a page looks like when it kept its layout: the header, the navigation and the styles.
KEPT_LAYOUT = """
() => Boolean(document.querySelector("header.site-header nav.tenant-nav"))
  && getComputedStyle(document.body).display === "flex"
  && document.querySelectorAll("main").length === 1
"""


def test_an_invalid_value_in_each_inline_form_comes_back_in_place(live_server, watched_page, demo_tenant):
    tenant, owner = demo_tenant
    page = watched_page
    width, height = WINDOWS["laptop"]
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, live_server, owner)
    pages = find_pages(page, live_server.url, tenant)

    tried = []
    for path in pages.values():
        page.goto(f"{live_server.url}{path}")
        open_inline_editor(page)
        forms = page.locator(
            "main form[hx-post]:has(input[type=text], input[type=tel], input[type=email], textarea)"
        )
        for index in range(forms.count()):
            form = forms.nth(index)
            if not form.is_visible():
                continue
            form.evaluate("(form) => { form.noValidate = true; }")  # the server's own validation is tested
            for field in form.locator("input[type=text], input[type=tel], input[type=email], textarea").all():
                if field.is_visible() and field.is_editable():
                    field.fill("abc")
            with page.expect_response(lambda response: response.request.method == "POST") as answer:
                form.evaluate("(form) => form.requestSubmit()")
            page.wait_for_load_state()
            page.wait_for_timeout(200)  # HTMX settles the swap
            tried.append((path, answer.value.status))
            assert answer.value.status in (200, 204, 409, 422), (path, answer.value.status)
            assert urlsplit(page.url).path == urlsplit(path).path, path
            assert page.evaluate(KEPT_LAYOUT), f"{path}: the page lost its layout"
            assert page.evaluate(LAYOUT_PROBLEMS) == [], path
            assert page.problems == [] and page.csp_violations() == [], (path, page.problems)
            page.goto(f"{live_server.url}{path}")  # afresh for the next form
            open_inline_editor(page)
    # The inline redirect, the bulk redirect, a phonebook entry, at least.
    assert sum(status == 422 for _path, status in tried) >= 3, tried
