"""A developer's phone, paired with the workstation, saves the build box through a hosted pairing link,
works in it, comes back, and removes it; and pairs by pasting a whole pairing URL into the /pair form."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.support.http import request
from tests.support.server import add_project, manage, start_server


@pytest.fixture
def build_box(tmp_path):
    """A second real `manage.py serve`, with its own T3SITE_HOME: another machine the phone saves."""
    running = start_server(tmp_path / "build-box-home")
    yield running
    running.stop()


def own_label(server) -> str:
    return request("GET", f"{server.base_url}/.well-known/t3/environment").json["label"]


def devices_on(server) -> list[str]:
    return [session["label"] for session in json.loads(manage(server.home, "auth", "session", "list", "--json").stdout)]


def test_a_phone_saves_another_server_through_a_hosted_link_opens_it_and_removes_it(
    server, build_box, people, tmp_path
):
    # On the build box, a project; its owner makes a one-time link named for the phone.
    add_project(build_box.home, tmp_path / "shop")
    link = json.loads(manage(build_box.home, "auth", "pairing", "create", "--label", "my phone", "--json").stdout)
    hosted_link = f"{server.base_url}/pair?host={quote(build_box.base_url, safe='')}#token={link['token']}"
    # Unnamed, it is saved under its own label and its address: never just the host name that
    # the workstation's header shows too (both run on this machine).
    saved_as = f"{own_label(build_box)} · {build_box.base_url.removeprefix('http://')}"

    phone = people("phone")
    phone.opens(server.printed["Pairing URL"])
    phone.sees("No projects yet")

    # The phone opens the hosted link on the workstation: it pairs with the build box, straight from the browser.
    phone.opens(hosted_link)
    phone.sees(f"{saved_as} is saved in this browser and in this server's list.")
    phone.sees("Paired as client (read, write, terminal).")
    assert link["token"] not in phone.address()
    assert link["token"] not in server.output  # the workstation never saw the build box's code
    assert devices_on(build_box) == ["my phone"]  # named by its link, not "Chrome on Linux"

    phone.taps_text(f"Open {saved_as}")
    phone.sees("shop")
    phone.sees_in("#app-place-label", saved_as)
    phone.sees_in("#app-place-host", build_box.base_url.removeprefix("http://"))
    phone.sees_a_styled_page()

    # Back to the list of saved environments (the header's name leads there).
    phone.taps("#app-place")
    phone.sees("1 saved environment.")
    phone.sees(saved_as)
    phone.sees("reachable · paired")
    phone.sees("saved in this browser and on this server")

    phone.taps_text("Remove")
    phone.taps_text("Remove for good?")
    phone.sees(f"Removed {saved_as}.")
    phone.does_not_see("reachable · paired")
    phone.reloads()
    phone.sees("No saved environments yet.")
    assert devices_on(build_box) == []  # the phone's session there was logged out
    assert "No saved environments" in manage(server.home, "environments", "list").stdout


def test_a_phone_pairs_by_pasting_the_whole_pairing_url_into_the_form(server, people):
    phone = people("phone")
    phone.opens(f"{server.base_url}/pair")
    phone.sees("Paste the pairing URL")
    phone.types("#pair-token", server.printed["Pairing URL"])
    phone.taps_text("Pair")
    phone.sees("No projects yet")
    phone.sees_a_styled_page()
    phone.sees_in("#app-connection", "open")
    assert phone.address().rstrip("/") == server.base_url
