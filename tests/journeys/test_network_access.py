"""The owner lets other devices in from the Connections page, pairs a tablet over the LAN, then locks it again."""

from __future__ import annotations

import socket

import pytest

from endpoints.interfaces import preferred_address
from tests.support.browser import wait_for

# The tablet "on the LAN" is a browser whose connections to the LAN address are carried to this
# loopback address instead: it answers only while the server listens on every interface, as the
# LAN address does, and the test's traffic never leaves loopback.
LAN_STAND_IN = "127.0.0.2"


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def test_the_owner_allows_other_devices_pairs_a_tablet_over_the_lan_and_turns_access_off_again(server, people):
    lan = preferred_address()
    if lan is None:
        pytest.skip("this machine has no LAN or tailnet address to pair a second device through")
    port = int(server.base_url.rsplit(":", 1)[1])

    owner = people("owner-laptop")
    owner.opens(server.printed["Pairing URL"])
    owner.sees("Projects")
    owner.taps_text("Connections")
    owner.sees("only this machine can connect")

    owner.taps_text("Allow other devices")
    owner.sees("devices on your networks can connect")
    owner.types("#link-label", "kitchen tablet")
    owner.taps_text("Create link")
    owner.sees("One use, until")
    # The page asks the server for the QR code once the link is shown: it comes a request later.
    wait_for(lambda: owner.is_shown("#link-qr"), message="the QR code that a LAN link comes with")
    link = owner.driver.find_element(owner.by.ID, "link-url").get_attribute("value")
    assert link.startswith(f"http://{lan}:{port}/pair#token="), link

    tablet = people("kitchen-tablet", routes={lan: LAN_STAND_IN})
    tablet.opens(link)
    tablet.sees("Projects")
    tablet.sees_a_styled_page()
    tablet.sees_in("#app-connection", "open")
    assert tablet.address().startswith(f"http://{lan}:{port}/")

    owner.reloads()
    owner.sees("kitchen tablet")
    owner.taps_text("Only this machine")
    owner.sees("only this machine can connect")
    assert not answers(LAN_STAND_IN, port), "the LAN address still answers"
    tablet.reloads()
    tablet.does_not_see("Projects")

    # The owner's loopback browser keeps working, styles and all.
    owner.opens(server.base_url + "/")
    owner.sees("Projects")
    owner.sees_a_styled_page()
    owner.sees_in("#app-connection", "open")
