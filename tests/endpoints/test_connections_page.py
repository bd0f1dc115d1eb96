"""The Connections page in a real browser, phone-sized: create a link, see its QR, revoke a device."""

from __future__ import annotations

import json

import pytest

from endpoints.interfaces import preferred_address
from tests.support.browser import PHONE_WINDOW, chromium, text_of, wait_for
from tests.support.server import manage


def tap(browser, selector: str) -> None:
    """Click the element once it is shown and enabled, finding it afresh on every try."""

    def attempt() -> bool:
        element = browser.find_element("css selector", selector)
        if not (element.is_displayed() and element.is_enabled()):
            return False
        element.click()
        return True

    wait_for(attempt, message=f"{selector} to be clickable")


def open_as_owner(browser, server):
    browser.get(f"{server.base_url}/pair#token={server.token}")
    wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="pairing as the owner")
    browser.get(f"{server.base_url}/settings/connections/")
    wait_for(lambda: browser.find_elements("css selector", "#endpoint-default .endpoint"), message="the endpoints")


def test_an_owner_creates_a_link_sees_its_qr_and_revokes_a_device(server):
    if preferred_address() is None:
        pytest.skip("this machine has no LAN or tailnet address, so no endpoint can carry a phone QR code")
    issued = json.loads(
        manage(server.home, "auth", "session", "issue", "--role", "client", "--label", "old tablet", "--json").stdout
    )
    with chromium(PHONE_WINDOW) as browser:
        open_as_owner(browser, server)
        assert "127.0.0.1" in text_of(browser, "network-state")
        # Listening on loopback only, no endpoint is the default for other devices, and the page says why.
        assert "Only this machine can reach the server" in text_of(browser, "endpoint-default")
        assert "default" not in [pill.text for pill in browser.find_elements("css selector", ".endpoint .pill")]
        more = browser.find_element("id", "endpoints-more")
        assert more.text.startswith("+")
        more.click()
        assert browser.find_element("id", "endpoints-others").is_displayed()

        # This server listens on loopback only, so the link is copyable but has no QR code.
        browser.find_element("id", "link-label").send_keys("my phone")
        assert browser.find_element("id", "link-create").is_enabled()  # disabled until the endpoints load
        browser.find_element("id", "link-create").click()
        note = wait_for(lambda: text_of(browser, "link-note"), message="the loopback note")
        assert "only works on this machine" in note
        assert not browser.find_element("id", "link-qr").is_displayed()
        url = browser.find_element("id", "link-url").get_attribute("value")
        assert url.startswith(f"{server.base_url}/pair#token=")

        # Network access on: a LAN endpoint appears as the default, and its link gets a QR code.
        browser.find_element("id", "network-toggle").click()
        wait_for(lambda: "0.0.0.0" in text_of(browser, "network-state"), message="the listener to move")
        browser.find_element("id", "link-create").click()
        qr = wait_for(
            lambda: (
                (img := browser.find_element("id", "link-qr")).is_displayed()
                and img.get_property("naturalWidth")
                and img
            ),
            message="the QR code",
        )
        assert qr.size["width"] >= 200
        assert "/pair#token=" in browser.find_element("id", "link-url").get_attribute("value")
        wait_for(lambda: "my phone" in text_of(browser, "links-list"), message="the new link in the list")

        row = wait_for(
            lambda: browser.find_element("css selector", f'#devices-list li[data-id="{issued["sessionId"]}"]'),
            message="the tablet in the devices list",
        )
        assert "old tablet" in row.text and "client" in row.text
        row.find_element("css selector", '[data-action="revoke-device"]').click()
        asked = wait_for(lambda: browser.switch_to.alert, message="the confirmation")
        assert "Revoke “old tablet”?" in asked.text
        asked.accept()
        wait_for(lambda: "old tablet" not in text_of(browser, "devices-list"), message="the revoked device to go")
        assert "this device" in text_of(browser, "devices-list")


def test_an_owner_renames_devices_and_is_asked_before_revoking(server):
    issued = json.loads(
        manage(server.home, "auth", "session", "issue", "--role", "client", "--label", "tablet", "--json").stdout
    )
    link = json.loads(manage(server.home, "auth", "pairing", "create", "--label", "spare", "--json").stdout)
    with chromium(PHONE_WINDOW) as browser:
        open_as_owner(browser, server)
        mine = wait_for(
            lambda: browser.find_element("css selector", '#devices-list li[data-current="true"]'), message="this device"
        )
        assert "this device" in mine.text and not mine.find_elements("css selector", '[data-action="revoke-device"]')

        # Rename another device, then this one, in their rows.
        rows = {f'li[data-id="{issued["sessionId"]}"]': "Kitchen tablet", 'li[data-current="true"]': "Desk"}
        for row_selector, name in rows.items():
            # The list re-renders after every change: find each control afresh once it is shown.
            tap(browser, f"#devices-list {row_selector} [data-action=rename-device]")
            field = wait_for(
                lambda: browser.find_element("css selector", "#devices-list [data-field=device-name]"),
                message="the name field",
            )
            field.clear()
            field.send_keys(name)
            tap(browser, "#devices-list [data-action=save-name]")
            wait_for(lambda n=name: f"Renamed to “{n}”." in text_of(browser, "connections-message"), message="renamed")
        devices = json.loads(manage(server.home, "auth", "session", "list", "--json").stdout)
        assert {d["id"]: d["label"] for d in devices}[issued["sessionId"]] == "Kitchen tablet"
        assert "Desk" in text_of(browser, "devices-list")

        # Saying no to a confirmation keeps the link and the device.
        tap(browser, "#links-list [data-action=revoke-link]")
        asked = wait_for(lambda: browser.switch_to.alert, message="the confirmation")
        assert "Revoke the link “spare”?" in asked.text
        asked.dismiss()
        tap(browser, "#devices-revoke-others")
        wait_for(lambda: browser.switch_to.alert, message="the confirmation").dismiss()
        listed = json.loads(manage(server.home, "auth", "pairing", "list", "--json").stdout)
        assert [item["state"] for item in listed if item["id"] == link["id"]] == ["active"]
        assert "Kitchen tablet" in text_of(browser, "devices-list")


def test_a_browser_that_is_not_paired_is_told_how_to_get_in(server):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/settings/connections/")
        assert "owner device" in text_of(browser, "connections-denied")
