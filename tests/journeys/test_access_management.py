"""The owner invites a tablet by name, finds it under that name everywhere, renames it, then cuts it off."""

from __future__ import annotations

import json

from tests.support.e2e import REVOCATION_DEADLINE_SECONDS
from tests.support.server import manage


def devices(server) -> dict[str, dict]:
    """Return the live devices as `auth session list --json` shows them, by name."""
    listed = manage(server.home, "auth", "session", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {device["label"]: device for device in json.loads(listed.stdout)}


def test_a_labelled_link_names_the_tablet_everywhere_until_the_admin_revokes_it(server, people):
    # The owner pairs their own browser with the link `serve` printed, and makes a link for the tablet.
    owner = people("owner")
    owner.opens(server.printed["Pairing URL"])
    owner.sees("Projects")
    owner.taps_text("Connections")
    owner.sees("only this machine can connect")  # the endpoints have loaded: a link needs one of them
    owner.types("#link-label", "Kitchen tablet")
    owner.taps_text("Create link")
    owner.sees("One use, until")
    owner.sees_in("#link-summary", "client: read, write, terminal")  # a new link is a client link
    link = owner.driver.find_element(owner.by.ID, "link-url").get_attribute("value")

    # The tablet opens it: the app knows it by the link's name.
    tablet = people("kitchen-tablet")
    tablet.opens(link)
    tablet.sees("Projects")
    tablet.sees("Kitchen tablet (client)")
    tablet.does_not_see("Connections")

    # The owner finds it under that name on the Connections page, in the admin and on the command line.
    owner.reloads()
    owner.sees_in("#devices-list", "Kitchen tablet")
    owner.sees_in('#devices-list li[data-current="true"]', "this device")
    owner.opens(f"{server.base_url}/admin/pairing/devicesession/")
    owner.sees_in("#result_list", "Kitchen tablet")
    owner.sees_in("#result_list", "(this device)")
    tablet_id = devices(server)["Kitchen tablet"]["id"]
    assert devices(server)["Kitchen tablet"]["pairingLabel"] == "Kitchen tablet"
    assert "Kitchen tablet" in manage(server.home, "auth", "session", "list").stdout

    # Grandma takes the tablet: the owner renames it on the Connections page.
    owner.opens(f"{server.base_url}/settings/connections/")
    owner.taps(f'#devices-list li[data-id="{tablet_id}"] [data-action="rename-device"]')
    owner.types("#devices-list [data-field=device-name]", "Grandma's tablet")
    owner.taps_text("Save")
    owner.sees("Renamed to “Grandma's tablet”.")
    owner.sees_in("#devices-list", "paired with the link “Kitchen tablet”")
    assert "Grandma's tablet" in devices(server)
    tablet.reloads()
    tablet.sees("Grandma's tablet (client)")
    tablet.sees_in("#app-connection", "open")

    # The tablet is lost: the owner revokes it in the admin, which asks first.
    owner.opens(f"{server.base_url}/admin/pairing/devicesession/")
    owner.sees_in("#result_list", "Grandma's tablet")
    owner.taps(f'input[name="_selected_action"][value="{tablet_id}"]')
    owner.chooses('select[name="action"]', "Revoke selected device sessions")
    owner.taps('button[name="index"]')
    owner.sees("Revoke these device sessions?")
    owner.taps('input[value="Yes, revoke"]')
    owner.sees("Revoked 1 device session(s)")

    # The tablet is told at once, and a reload asks it to pair again.
    tablet.sees("This device's access was revoked or expired", timeout=REVOCATION_DEADLINE_SECONDS + 3)
    tablet.reloads()
    tablet.sees("This browser is not paired")
    assert "Grandma's tablet" not in devices(server)
    owner.opens(f"{server.base_url}/admin/pairing/devicesession/")
    owner.does_not_see("Grandma's tablet")  # revoked rows are out of the default view
