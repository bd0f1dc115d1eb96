"""A phone paired only with the workstation opens the build box the workstation holds, through it.

The workstation saved the build box with `manage.py environments add` (its credential stays there):
every device paired with the workstation finds it in the switcher, "through this server", and works
in it, projects and terminals, without pairing itself there. A read-only device gets no more than
read there either, and a build box gone is said to be unreachable, with why, never "pair again".
One workstation and one build box serve the whole module; the journey that stops the build box is last.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.support.http import request
from tests.support.server import add_project, manage, start_server


@pytest.fixture(scope="module")
def machines(tmp_path_factory):
    """The workstation (which holds the build box's credential) and the build box, with a project `shop`."""
    root = tmp_path_factory.mktemp("relay-journey")
    workstation = start_server(root / "workstation-home")
    build_box = start_server(root / "build-box-home")
    try:
        add_project(build_box.home, root / "code" / "shop", {"README.md": "# shop\nBuilt on the build box.\n"})
        minted = manage(build_box.home, "auth", "pairing", "create", "--label", "workstation", "--json")
        link = json.loads(minted.stdout)
        added = manage(
            workstation.home, "environments", "add", "--host", build_box.base_url, "--token", link["token"],
            "--label", "Build box",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        [saved] = json.loads(manage(workstation.home, "environments", "list", "--json").stdout)
        yield workstation, build_box, saved["environmentId"]
    finally:
        build_box.stop()
        workstation.stop()


def build_box_row(environment_id: str) -> str:
    return f'#environments-list li[data-environment-id="{environment_id}"]'


def link_label(workstation) -> str:
    """The name `environments add` gives the workstation's session on the build box: the workstation's own."""
    return f"t3site on {request('GET', workstation.base_url + '/.well-known/t3/environment').json['label']}"


def pairing_url(workstation, *args: str) -> str:
    minted = manage(workstation.home, "pair", *args)
    assert minted.returncode == 0, minted.stderr
    return re.search(r"^Pairing URL: (\S+)$", minted.stdout, re.MULTILINE).group(1)


def test_a_read_only_device_reads_the_build_box_through_the_workstation_and_gets_no_terminal(machines, people):
    workstation, _, environment_id = machines
    display = people("wall-display")
    display.opens(pairing_url(workstation, "--scope", "read", "--label", "Wall display"))
    display.sees("No projects yet")

    # The switcher: the build box through the workstation, with read only.
    display.taps("#app-place")
    display.sees_in(build_box_row(environment_id), "reachable · through this server")
    display.sees_in(f"{build_box_row(environment_id)} [data-field=detail]", "with this server's credential: read (")
    display.taps(f"{build_box_row(environment_id)} [data-field=open]")

    display.sees_in("#project-list", "shop")
    display.sees_in("#app-place-label", "Build box")
    display.sees_in("#app-connection", "open")
    assert display.text_of("#app-scopes") == "read"
    for hidden in ("Add project", "Terminals", "Connections"):
        display.does_not_see(hidden)
    display.taps("#project-list [data-project-id]")
    display.sees_in("#file-tree", "README.md")
    display.does_not_see("New terminal")


def test_a_phone_paired_only_with_the_workstation_works_in_the_build_box_until_it_stops(machines, people):
    workstation, build_box, environment_id = machines
    here = workstation.base_url.removeprefix("http://")
    phone = people("phone")
    phone.opens(workstation.printed["Pairing URL"])
    phone.sees("No projects yet")

    # The switcher lists this server first, then the build box, reached through this server.
    phone.taps("#app-place")
    phone.sees("This server")
    phone.sees("1 saved environment.")
    phone.sees_in(build_box_row(environment_id), "Build box")
    phone.sees_in(build_box_row(environment_id), "saved on this server")
    phone.sees_in(build_box_row(environment_id), "reachable · through this server")
    phone.sees_in(f"{build_box_row(environment_id)} [data-field=detail]", "read, write, terminal")
    phone.does_not_see("not paired")

    # The Connections page shows the same list, and opens the build box the same way.
    phone.opens(f"{workstation.base_url}/settings/connections/")
    phone.sees("Environments")
    phone.sees("This server")
    phone.sees_in(build_box_row(environment_id), "reachable · through this server")

    # Open: the build box's projects, files and terminals, and the header says which way it goes.
    phone.taps(f"{build_box_row(environment_id)} [data-field=open]")
    phone.sees_in("#project-list", "shop")
    phone.sees_in("#app-place-label", "Build box")
    phone.sees_in("#app-place-host", f"via {here}")
    phone.sees_in("#app-connection", "open")
    phone.sees_a_styled_page()
    phone.sees("Opened through this server")
    phone.screenshot("relayed-app")
    assert not phone.is_shown("#app-logout")  # logging out here would end its session on the workstation
    assert build_box.base_url.removeprefix("http://") not in phone.screen_text()

    phone.taps("#project-list [data-project-id]")
    phone.taps_text("New terminal")
    phone.sees_in("#terminal-tabs", "shop")
    phone.types_in_the_terminal("echo relayed-$((6*7))")
    phone.sees_in_the_terminal("relayed-42", after="echo relayed-$((6*7))")
    # The phone never paired with the build box: only the workstation's credential is a session there.
    sessions = json.loads(manage(build_box.home, "auth", "session", "list", "--json").stdout)
    assert [session["label"] for session in sessions] == [link_label(workstation)]

    # The build box stops: the app says it cannot be reached through the workstation, and why.
    build_box.stop()
    phone.sees_in("#app-message", "Build box cannot be reached through this server:")
    phone.does_not_see("pair again")
    phone.taps("#app-place")
    phone.sees_in(build_box_row(environment_id), "unreachable")
    phone.sees_in(f"{build_box_row(environment_id)} [data-field=detail]", "This server cannot reach it: cannot reach")
    phone.does_not_see("pair again")
    phone.does_not_see("Pair again")
    # Opening it now says the same before anything is tried.
    phone.taps(f"{build_box_row(environment_id)} [data-field=open]")
    phone.sees_in("#app-blocked-title", "Build box cannot be reached through this server.")
    phone.sees_in("#app-blocked-next", "cannot reach")
    phone.sees_in("#app-place-host", f"via {here}")
    phone.does_not_see("Pair again")
