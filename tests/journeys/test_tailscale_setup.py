"""The owner puts Tailscale Serve's HTTPS in front of the server from the Connections page.

Tailscale itself cannot run here: tests/support/fake_tailscale answers as its CLI documents,
and the person's own shell commands (`tailscale serve ...`) go to it too. The tailnet name
does not resolve from this machine, so the HTTPS link can be made but never verified: the
page must say so instead of reporting success.
"""

from __future__ import annotations

import pytest

from tests.support.server import command_env, start_server
from tests.support.tailscale import DNS_NAME, install

SETUP = '[data-kind="tailscale-https"] [data-action="setup"]'
HTTPS_URL = f"https://{DNS_NAME}"
MESSAGE = "#connections-message"
# On screen and not under the sticky header bar: what is drawn at its first line is the message itself.
IN_VIEW = """
const message = document.querySelector(arguments[0]);
const box = message.getBoundingClientRect();
if (!(box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight)) return false;
return message.contains(document.elementFromPoint(box.left + 2, box.top + 2));
"""


@pytest.fixture
def tailscale(tmp_path):
    return install(tmp_path)


@pytest.fixture
def tailscale_server(tmp_path, tailscale):
    running = start_server(tmp_path / "home", env=command_env(tmp_path / "home", **tailscale.env()))
    yield running
    running.stop()


def sees_the_answer(owner, text: str) -> None:
    """See ``text`` in the page's message, on screen: the phone has scrolled down to the row's button."""
    owner.sees_in(MESSAGE, text)
    assert owner.driver.execute_script(IN_VIEW, MESSAGE), "the answer is said off screen"


def opens_the_tailscale_row(owner, server, reason="Tailscale Serve does not front this server yet: use Setup.") -> None:
    owner.opens(server.printed["Pairing URL"])
    owner.sees("Projects")
    owner.taps_text("Connections")
    owner.sees("How devices reach this server")
    owner.sees_a_styled_page()
    owner.taps("#endpoints-more")
    owner.sees(f"Tailscale HTTPS ({DNS_NAME})")
    owner.sees_in('[data-kind="tailscale-https"]', reason)


def test_the_owner_is_told_another_app_holds_the_port_frees_it_then_sets_up_an_unverified_link(
    tailscale_server, tailscale, people
):
    # Another app of the owner's already answers on the tailnet's HTTPS port.
    tailscale.shell("serve", "--bg", "--https=443", "text:Hello from my other app")
    held = tailscale.state["serve"]

    owner = people("owner-phone")
    # The row already says what holds the port, and how to free it (the command shown as code).
    opens_the_tailscale_row(
        owner,
        tailscale_server,
        "Port 443 already serves the text 'Hello from my other app': stop that mapping "
        "(tailscale serve --https=443 off), then use Setup.",
    )
    owner.taps(SETUP)
    sees_the_answer(
        owner, "Tailscale Serve port 443 already serves the text 'Hello from my other app', not this server"
    )
    owner.sees_in(MESSAGE, "tailscale serve --https=443 off")
    owner.does_not_see("now sends")
    assert tailscale.state["serve"] == held, "the other app's handler was taken over"

    # At the workstation's shell the owner stops that app's mapping, then tries again.
    tailscale.shell("serve", "--https=443", "off")
    owner.taps(SETUP)
    sees_the_answer(owner, f"Tailscale Serve now sends {HTTPS_URL} to this server, but it is not verified yet:")
    owner.sees_in(MESSAGE, f"{HTTPS_URL} cannot be reached: its name does not resolve from this machine.")
    owner.does_not_see("now fronts this server")
    owner.sees_in('[data-kind="tailscale-https"]', HTTPS_URL)
    owner.sees_in('[data-kind="tailscale-https"]', "unavailable")
    assert not owner.is_shown(SETUP), "Set up is still offered for a port that now fronts the server"
    port = tailscale_server.base_url.rsplit(":", 1)[1]
    assert tailscale.target() == f"http://127.0.0.1:{port}"

    # The mapping the page made is the server's own: it is undone when the server stops.
    assert tailscale_server.stop() == 0
    assert tailscale.target() is None
    assert "Tailscale Serve on port 443 undone." in tailscale_server.output


def test_a_foreground_tailscale_serve_session_keeps_its_port(tailscale_server, tailscale, people):
    owner = people("owner-phone")
    opens_the_tailscale_row(owner, tailscale_server)
    with tailscale.foreground("--https=443", "/srv/photos"):
        held = tailscale.state["serve"]
        owner.taps(SETUP)
        sees_the_answer(owner, "Tailscale Serve port 443 is held by a foreground")
        owner.sees_in(MESSAGE, "session (it serves the files in /srv/photos), not this server: end that session")
        owner.does_not_see("now sends")
        assert tailscale.state["serve"] == held, "the foreground session's port was taken over"
        assert owner.is_shown(SETUP), "the row no longer offers Setup although nothing changed"
