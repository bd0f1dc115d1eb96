"""A developer starts t3site on a headless machine and works in a terminal from their phone."""

from __future__ import annotations

from tests.support.server import add_project


def test_a_phone_opens_the_printed_pairing_url_runs_a_command_and_finds_it_again_after_reopening(
    server, people, tmp_path
):
    # On the workstation: `serve` printed a pairing URL; the developer adds a project from the shell.
    pairing_url = server.printed["Pairing URL"]
    assert pairing_url == f"{server.base_url}/pair#token={server.token}"
    add_project(server.home, tmp_path / "code" / "shop", {"README.md": "# shop\n"})

    # On the phone: the pairing URL opens the app, styled, with the project listed.
    profile = tmp_path / "phone-profile"
    phone = people("phone", profile=profile)
    phone.opens(pairing_url)
    phone.sees("shop")
    phone.sees_a_styled_page()
    assert phone.address().rstrip("/") == server.base_url
    assert server.token not in phone.address()

    phone.taps("#project-list [data-project-id]")
    phone.taps_text("New terminal")
    phone.sees_in("#terminal-tabs", "shop · shell")
    phone.types_in_the_terminal("echo hello-$((6*7))")
    phone.sees_in_the_terminal("hello-42", after="echo hello-$((6*7))")

    # The phone closes the browser; later it opens the server again: the terminal is still there.
    phone.closes_the_browser()
    phone = people("phone-again", profile=profile)
    phone.opens(server.base_url + "/")
    phone.sees("shop")
    phone.taps("#tab-terminals")
    phone.sees_in("#terminal-tabs", "shop · shell")  # the same name as before, not the shell's program
    phone.sees_in_the_terminal("hello-42", after="echo hello-$((6*7))")
    phone.types_in_the_terminal("echo back-$((2*21))")
    phone.sees_in_the_terminal("back-42", after="echo back-$((2*21))")
