"""A wall display paired read-only: it reads a project's files and git history, and can change nothing."""

from __future__ import annotations

import re
import subprocess

from tests.support.server import manage


def git(repo, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=30)


def test_a_read_only_device_sees_files_and_git_but_no_terminal_no_write_action_and_no_connections(
    server, people, tmp_path
):
    # On the workstation: a project with one commit and one uncommitted change.
    shop = tmp_path / "code" / "shop"
    shop.mkdir(parents=True)
    git(shop, "init", "--quiet", "--initial-branch=main")
    git(shop, "config", "user.name", "Ada Lovelace")
    git(shop, "config", "user.email", "ada@example.com")
    git(shop, "config", "commit.gpgsign", "false")
    (shop / "README.md").write_text("# shop\nOpen from nine to five.\n")
    git(shop, "add", "README.md")
    git(shop, "commit", "--quiet", "-m", "Opening hours")
    (shop / "prices.txt").write_text("bread 2\n")
    assert manage(server.home, "project", "add", str(shop)).returncode == 0

    # The owner mints a read-only link for the display, as the README says.
    minted = manage(server.home, "pair", "--scope", "read", "--label", "Wall display")
    assert minted.returncode == 0, minted.stderr
    assert "client (read), works once, for 5 minutes" in minted.stdout
    link = re.search(r"^Pairing URL: (\S+)$", minted.stdout, re.MULTILINE).group(1)

    # The display pairs: it knows what it is and what it may do.
    display = people("wall-display")
    display.opens(link)
    display.sees("Projects")
    display.sees_a_styled_page()
    display.sees("Wall display (client)")
    display.sees_in("#app-scopes", "read")
    assert display.text_of("#app-scopes") == "read"
    display.sees_in("#app-connection", "open")

    # No way to change anything from the project list, and no terminals, admin or Connections.
    display.sees("shop")
    for hidden in ("Add project", "Terminals", "Connections", "Manage pairing links and devices"):
        display.does_not_see(hidden)

    # Files: the tree and a file's content.
    display.taps("#project-list [data-project-id]")
    display.sees_in("#file-tree", "README.md")
    display.taps('#file-tree button[data-path="README.md"]')
    display.sees_in("#viewer-content", "Open from nine to five.")
    for hidden in ("New terminal", "Rename", "Remove"):
        display.does_not_see(hidden)
    assert not display.is_shown("#project-launch") and not display.is_shown(".project-actions .manage")

    # Git: the branch, the uncommitted file and the commit.
    display.taps("#tab-git")
    display.sees_in("#git-status", "main")
    display.sees_in("#git-status", "prices.txt")
    display.sees_in("#git-log", "Opening hours")

    # The Connections page and the admin turn it away, saying why.
    display.opens(f"{server.base_url}/settings/connections/")
    display.sees("Connections are managed from an owner device")
    display.sees("without the admin scope")
    display.does_not_see("Create link")
    display.opens(f"{server.base_url}/admin/")
    display.sees("The admin is for the owner's devices")
