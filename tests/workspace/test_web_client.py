"""The web client in a real browser at phone size, against a real server, real files and real PTYs."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from tests.support.browser import PHONE_WINDOW, chromium, emulate_screen, text_of, wait_for
from tests.support.server import ROOT, command_env, manage, start_server
from tests.support.waiting import eventually

REVOKED_MESSAGE = "This device's access was revoked or expired: pair again."
ACTIVE_TERMINAL_TEXT = "return document.querySelector('.terminal-pane.active .xterm-rows')?.textContent || ''"


@contextmanager
def paired_phone(server, token: str):
    """Yield a headless Chromium with a 390x844 phone viewport, paired with ``server`` through its link."""
    from selenium.webdriver.common.by import By

    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair#token={token}")
        wait_for(lambda: text_of(browser, "app-connection") == "open", message="the socket to open")
        assert browser.execute_script("return window.innerWidth") == PHONE_WINDOW[0]
        browser.by = By
        yield browser


@pytest.fixture
def phone(server):
    with paired_phone(server, server.token) as browser:
        yield browser


def click(browser, selector: str) -> None:
    """Click the element once it is shown and enabled; lists re-render, so find it afresh on every try."""

    def attempt() -> bool:
        element = browser.find_element(browser.by.CSS_SELECTOR, selector)
        if not (element.is_displayed() and element.is_enabled()):
            return False
        element.click()
        return True

    wait_for(attempt, message=f"{selector} to be clickable")


def type_into(browser, element_id: str, text: str) -> None:
    field = browser.find_element(browser.by.ID, element_id)
    field.clear()
    field.send_keys(text)


def picker_shows(browser, path) -> bool:
    return browser.find_element(browser.by.ID, "picker-path").get_attribute("value") == str(path)


def terminal_output(browser) -> str:
    return browser.execute_script(ACTIVE_TERMINAL_TEXT)


def run_in_terminal(browser, command: str, expected: str) -> None:
    """Type ``command`` into the active terminal and wait for ``expected`` in what it printed back."""
    browser.find_element(browser.by.CSS_SELECTOR, ".terminal-pane.active .xterm-helper-textarea").send_keys(
        command + "\n"
    )
    wait_for(lambda: expected in terminal_output(browser).replace(command, ""), message=f"{expected!r} in the terminal")


@pytest.fixture
def project_folder(tmp_path):
    folder = tmp_path / "work" / "site"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("remember the milk\n")
    (folder / "logo.bin").write_bytes(bytes(range(256)))
    return folder


def test_it_adds_a_project_with_the_folder_picker_and_shows_its_files(phone, project_folder):
    work = project_folder.parent
    click(phone, "#project-add")
    # t3site's own folder (where `make serve` starts the picker) cannot be a project: the button says so.
    type_into(phone, "picker-path", f"{ROOT}\n")
    wait_for(lambda: picker_shows(phone, ROOT), message="t3site's folder")
    add = phone.find_element(phone.by.ID, "picker-add-button")
    wait_for(lambda: not add.is_enabled() and "cannot be a project" in add.text, message="the refusal on the button")
    type_into(phone, "picker-path", f"{work}\n")
    wait_for(lambda: picker_shows(phone, work), message="the typed folder")

    type_into(phone, "picker-new-name", "scratch\n")
    wait_for(lambda: picker_shows(phone, work / "scratch"), message="the new folder")
    assert (work / "scratch").is_dir()
    click(phone, f'#picker-crumbs [data-path="{work}"]')
    click(phone, f'#picker-entries [data-path="{project_folder}"]')
    wait_for(lambda: picker_shows(phone, project_folder), message="the project folder")
    click(phone, "#picker-add-button")

    wait_for(lambda: text_of(phone, "project-title") == "site", message="the new project to open")
    assert text_of(phone, "project-path") == str(project_folder)
    click(phone, '#file-tree [data-path="notes.txt"]')
    wait_for(lambda: text_of(phone, "viewer-content") == "remember the milk", message="the file's content")
    click(phone, '#file-tree [data-path="logo.bin"]')
    wait_for(lambda: "Binary file" in text_of(phone, "viewer-note"), message="the binary file flagged")

    click(phone, "#project-back")
    wait_for(lambda: "site" in text_of(phone, "project-list"), message="the project in the list")


def test_it_runs_a_command_in_a_terminal_and_reattaches_after_a_reconnect(phone, server, project_folder):
    manage(server.home, "project", "add", str(project_folder))
    phone.refresh()
    click(phone, "#project-list [data-project-id]")
    click(phone, "#project-terminal")
    wait_for(lambda: "site" in text_of(phone, "terminal-tabs"), message="a terminal tab")
    run_in_terminal(phone, "echo hello-$((6*7))", "hello-42")

    # The network drops: the client reconnects with a fresh ticket and shows the scrollback again.
    phone.execute_script("window.t3site.rpc.socket.close()")
    wait_for(lambda: text_of(phone, "app-connection") != "open", message="the socket to drop")
    wait_for(lambda: text_of(phone, "app-connection") == "open", message="the socket to reconnect")
    wait_for(lambda: "hello-42" in terminal_output(phone), message="the scrollback after re-attaching")
    run_in_terminal(phone, "echo again-$((2*3))", "again-6")

    # A new page finds the terminal still running on the server and shows what it printed.
    phone.refresh()
    click(phone, "#tab-terminals")
    wait_for(lambda: "again-6" in terminal_output(phone), message="the terminal after a reload")

    click(phone, ".tab-group .tab-close")
    wait_for(lambda: text_of(phone, "terminal-count") == "", message="the terminal to close")


def test_a_terminal_the_server_detached_is_attached_again_from_its_scrollback(phone, server, project_folder):
    manage(server.home, "project", "add", str(project_folder))
    phone.refresh()
    click(phone, "#project-list [data-project-id]")
    click(phone, "#project-terminal")
    wait_for(lambda: "site" in text_of(phone, "terminal-tabs"), message="a terminal tab")
    run_in_terminal(phone, "echo kept-$((5*5))", "kept-25")
    # What the server sends a socket that fell too far behind (workspace.outbox): the screen is
    # wiped here to prove the client fetches the scrollback again rather than keeping what it had.
    phone.execute_script(
        """const view = window.t3site.terminals, pane = view.active;
        pane.replaceWith("");
        view.app.rpc.dispatchEvent(new CustomEvent("terminal.detached",
            {detail: {terminalId: pane.id, reason: "too far behind"}}));"""
    )
    wait_for(lambda: "kept-25" in terminal_output(phone), message="the scrollback after re-attaching")
    run_in_terminal(phone, "echo live-$((3*3))", "live-9")


def test_it_fits_the_terminal_to_the_screen_and_takes_lines_from_the_phone_keyboard(phone, server, project_folder):
    manage(server.home, "project", "add", str(project_folder))
    phone.refresh()
    click(phone, "#project-list [data-project-id]")
    click(phone, "#project-terminal")
    wait_for(lambda: phone.find_elements(phone.by.CSS_SELECTOR, ".terminal-pane.active[data-terminal-id]"))
    portrait = shown_size(phone)
    send_line(phone, "stty size")
    wait_for(lambda: portrait in terminal_output(phone), message=f"the PTY sized {portrait}")

    # Turning the phone sideways refits the terminal and resizes the PTY to match.
    emulate_screen(phone, (844, 390))
    landscape = wait_for(lambda: shown_size(phone) != portrait and shown_size(phone), message="the terminal to refit")

    # The resize is debounced, then travels over the socket: ask the PTY its size until it says the new one.
    def pty_says_landscape() -> bool:
        send_line(phone, "clear; stty size")
        return eventually(lambda: landscape in terminal_output(phone), 1)

    wait_for(pty_says_landscape, message=f"the PTY resized to {landscape}")


def shown_size(browser) -> str:
    """Return the active terminal's size as `stty size` prints it: "ROWS COLS"."""
    return browser.execute_script(
        "const {cols, rows} = window.t3site.terminals.active.size(); return `${rows} ${cols}`"
    )


def send_line(browser, line: str) -> None:
    """Send a line through the phone-friendly input under the terminal."""
    type_into(browser, "terminal-line-input", line + "\n")


def test_it_tells_a_revoked_device_to_pair_again(phone, server):
    sessions = json.loads(manage(server.home, "auth", "session", "list", "--json").stdout)
    (browser_session,) = [session for session in sessions if session["authMode"] == "cookie"]
    assert manage(server.home, "auth", "session", "revoke", browser_session["id"]).returncode == 0

    wait_for(lambda: text_of(phone, "app-ended") == REVOKED_MESSAGE, timeout=5, message="the pair-again message")
    link = phone.find_element(phone.by.CSS_SELECTOR, "#app-ended a")
    assert link.get_attribute("href").endswith("/pair")
    assert text_of(phone, "app-connection") == "access ended"


def test_it_starts_an_agent_cli_as_a_terminal_in_the_project(tmp_path, project_folder):
    # Any interactive program can be a provider (T3SITE_PROVIDERS); Python's REPL stands in for an agent CLI.
    home = tmp_path / "home"
    server = start_server(home, env=command_env(home, T3SITE_PROVIDERS="python3"))
    try:
        manage(home, "project", "add", str(project_folder))
        with paired_phone(server, server.token) as phone:
            click(phone, "#project-list [data-project-id]")
            click(phone, '#project-agents [data-provider="python3"]')
            wait_for(lambda: "python3" in text_of(phone, "terminal-tabs"), message="the agent's terminal tab")
            wait_for(lambda: ">>>" in terminal_output(phone), message="the REPL prompt")
            run_in_terminal(phone, "import os; print(os.getcwd())", str(project_folder))

            # A new page labels the terminal it finds with the command line, not the shell that runs it.
            phone.refresh()
            click(phone, "#tab-terminals")
            wait_for(lambda: text_of(phone, "terminal-tabs").startswith("site · python3"), message="the tab label")
    finally:
        server.stop()


def test_it_names_this_server_in_the_header_and_links_an_owner_to_its_admin_pages(phone, server):
    wait_for(lambda: text_of(phone, "app-place-label"), message="the server's label")
    assert text_of(phone, "app-place-host") == server.base_url.removeprefix("http://")
    links = [link.get_attribute("href") for link in phone.find_elements(phone.by.CSS_SELECTOR, "#app-admin a")]
    assert links == [f"{server.base_url}/admin/", f"{server.base_url}/settings/connections/"]


PROJECT_ACTIONS = ("tab-terminals", "project-terminal", "project-rename", "project-remove")


@pytest.mark.parametrize(
    ("scopes", "shown"),
    [
        (["read"], ()),
        # Without terminal a device reaches only inside projects: it renames, but adds and removes none.
        (["read", "write"], ("project-rename",)),
    ],
)
def test_it_hides_what_a_device_without_a_scope_cannot_do(server, project_folder, scopes, shown):
    scope_options = [option for scope in scopes for option in ("--scope", scope)]
    link = json.loads(
        manage(server.home, "auth", "pairing", "create", "--role", "client", *scope_options, "--json").stdout
    )
    manage(server.home, "project", "add", str(project_folder))
    with paired_phone(server, link["token"]) as phone:
        wait_for(lambda: "site" in text_of(phone, "project-list"), message="the project list")
        assert not phone.find_element(phone.by.ID, "project-add").is_displayed()
        click(phone, "#project-list [data-project-id]")
        wait_for(lambda: "notes.txt" in text_of(phone, "file-tree"), message="the files")
        for action in PROJECT_ACTIONS:
            assert phone.find_element(phone.by.ID, action).is_displayed() == (action in shown), action
