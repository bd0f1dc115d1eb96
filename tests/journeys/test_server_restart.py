"""The server restarts under a paired phone: the page comes back by itself, until the owner revokes the phone.

The developer's phone pairs from the URL `serve` printed and runs a command in a terminal. The server is
stopped and started again on the same T3SITE_HOME and port. The phone does nothing but wait: its page
reconnects, still paired, with the project still listed; the terminal the restart ended says it exited,
and a new one works. A reload keeps it paired. Then the owner revokes the phone from the server's shell:
the page says so at once, a reload shows that this browser is no longer paired, and a new link pairs it again.
"""

from __future__ import annotations

import json

from tests.support.browser import wait_for
from tests.support.e2e import REVOCATION_DEADLINE_SECONDS
from tests.support.server import add_project, manage, start_server

# The page backs off between tries (0.5 s, 1 s, 2 s, 4 s, 8 s ... with jitter) while the server is down.
RECONNECT_SECONDS = 45


def test_a_phone_keeps_its_place_across_a_server_restart_until_its_device_is_revoked(people, tmp_path):
    home = tmp_path / "home"
    servers = [start_server(home)]
    try:
        server = servers[0]
        add_project(home, tmp_path / "code" / "shop", {"README.md": "# shop\n"})

        # The phone pairs from the printed URL and runs a command in a terminal.
        phone = people("phone")
        phone.opens(server.printed["Pairing URL"])
        phone.sees_in("#project-list", "shop")
        phone.sees_in("#app-connection", "open")
        phone.taps("#project-list [data-project-id]")
        phone.taps_text("New terminal")
        phone.sees_in("#terminal-tabs", "shop · shell")
        phone.types_in_the_terminal("echo hello-$((6*7))")
        phone.sees_in_the_terminal("hello-42", after="echo hello-$((6*7))")

        # The server stops: the phone's page notices and keeps trying.
        port = server.base_url.rsplit(":", 1)[1]
        assert server.stop() == 0, server.output
        phone.sees_in("#app-connection", "reconnecting")

        # It starts again on the same home and port; the phone only waits.
        server = start_server(home, "--port", port)
        servers.append(server)
        assert server.base_url == servers[0].base_url
        phone.sees_in("#app-connection", "open", timeout=RECONNECT_SECONDS)
        phone.does_not_see("not paired")
        phone.does_not_see("pair again")

        # The terminal the restart ended says so, and what it showed before stays on the screen.
        phone.sees_in("#terminal-tabs", "shop · shell (exited)")
        phone.sees_in_the_terminal("[process exited")
        phone.sees_in_the_terminal("hello-42", after="echo hello-$((6*7))")
        # It takes no more input: its line and keys wait for a live terminal.
        wait_for(lambda: not phone.can_use("#terminal-line-input"), message="the exited terminal's line disabled")
        line = phone.driver.find_element(phone.by.ID, "terminal-line-input")
        assert "has exited" in line.get_attribute("placeholder")

        # The project is still listed, and a new terminal there works.
        phone.taps("#tab-projects")
        phone.taps("#project-back")
        phone.sees_in("#project-list", "shop")
        phone.taps("#project-list [data-project-id]")
        phone.taps_text("New terminal")
        phone.sees_in("#terminal-tabs", "shop · shell 2")
        phone.types_in_the_terminal("echo back-$((2*21))")
        phone.sees_in_the_terminal("back-42", after="echo back-$((2*21))")
        assert phone.can_use("#terminal-line-input")  # the new terminal's line works again

        # A reload keeps the phone paired, with the new terminal still there.
        phone.reloads()
        phone.sees_in("#app-connection", "open")
        phone.taps("#tab-projects")
        phone.sees_in("#project-list", "shop")
        phone.does_not_see("This browser is not paired")
        phone.taps("#tab-terminals")
        phone.sees_in("#terminal-tabs", "shop · shell")
        phone.sees_in_the_terminal("back-42", after="echo back-$((2*21))")

        # The owner revokes the phone from the server's shell: the phone is told at once.
        listed = manage(home, "auth", "session", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        sessions = json.loads(listed.stdout)
        assert len(sessions) == 1, sessions  # the phone is the only device paired with this home
        revoked = manage(home, "auth", "session", "revoke", str(sessions[0]["id"]))
        assert revoked.returncode == 0, revoked.stderr
        phone.sees("This device's access was revoked or expired", timeout=REVOCATION_DEADLINE_SECONDS + 3)
        phone.sees_in("#app-connection", "access ended")

        # A reload asks it to pair again.
        phone.reloads()
        phone.sees("This browser is not paired")
        phone.screenshot("revoked-after-restart")

        # A new link from the shell pairs it again, and its work is there.
        created = manage(home, "auth", "pairing", "create", "--json", "--base-url", server.base_url)
        assert created.returncode == 0, created.stderr
        phone.opens(json.loads(created.stdout)["pairingUrl"])
        phone.sees_in("#app-connection", "open")
        phone.sees_in("#project-list", "shop")
    finally:
        for running in servers:
            running.stop()
