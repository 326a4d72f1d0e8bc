"""In real Chromium against `kb serve`: signing out everywhere from one browser ends the session
of another, and the sign-out page reads well and passes the accessibility audit at 375 px."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accessibility import serious_violations
from helpers import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(new_context, live_site, width: int):
    context = new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_site.url}/login")
    page.fill("#name", "nurse")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    return context, page


def test_signing_out_everywhere_in_one_browser_signs_out_the_other(new_context, live_site, screenshots):
    office, office_page = sign_in(new_context, live_site, 1280)
    phone, phone_page = sign_in(new_context, live_site, 375)
    try:
        phone_page.get_by_role("link", name="Sign out everywhere").click()
        phone_page.wait_for_url(re.compile(r"/logout$"))
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
        phone_page.screenshot(path=str(screenshots / "sign-out-375.png"), full_page=True)
        assert serious_violations(phone_page) == []
        phone_page.get_by_role("button", name="Sign out everywhere").click()
        expect(phone_page.get_by_role("link", name="Staff sign in")).to_be_visible()
        office_page.reload()
        expect(office_page.get_by_role("link", name="Staff sign in")).to_be_visible()
        expect(office_page.get_by_text("Signed in as")).to_have_count(0)
    finally:
        office.close()
        phone.close()
