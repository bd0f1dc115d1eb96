""" "Add over SSH" on the /environments page, in real headless Chromium, against a real `serve` and a real sshd."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium, text_of, wait_for
from tests.support.server import command_env, start_server

LAUNCH_SECONDS = 90
# serve reconciles every 5 s; opening the forward is an SSH login and a remote launcher run.
FORWARD_SECONDS = 40


@pytest.fixture
def server_with_ssh(sshd, tmp_path):
    """A real `serve` whose SSH client uses the test's (empty) known_hosts, no ~/.ssh/config and no agent."""
    home = tmp_path / "home"
    env = command_env(
        home,
        T3SITE_SSH_KNOWN_HOSTS=str(tmp_path / "known_hosts"),
        T3SITE_SSH_CONFIG=str(tmp_path / "no-ssh-config"),
    )
    env.pop("SSH_AUTH_SOCK", None)
    running = start_server(home, env=env)
    yield running
    running.stop()


def by_id(browser, element_id: str):
    return browser.find_element("id", element_id)


def test_an_owner_adds_an_environment_over_ssh_after_checking_the_host_key(server_with_ssh, sshd, remote, tmp_path):
    server = server_with_ssh
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="direct pairing")
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: by_id(browser, "ssh-add").is_displayed(), message="the SSH form for an owner")

        for field, value in [
            ("ssh-target", "127.0.0.1"),
            ("ssh-port", str(sshd.port)),
            ("ssh-identity", str(sshd.client_key)),
            ("ssh-label", "Dev box"),
            ("ssh-remote-dir", str(remote)),
        ]:
            by_id(browser, field).send_keys(value)
        by_id(browser, "ssh-submit").click()
        # (The "Connecting…" line shows while the request runs; the host-key refusal can come back
        # before a check could see it, so the test waits for the step that follows instead.)
        wait_for(lambda: by_id(browser, "ssh-host-key").is_displayed(), LAUNCH_SECONDS, "the host key step")
        assert text_of(browser, "ssh-fingerprint").startswith("SHA256:")
        assert not (tmp_path / "known_hosts").exists(), "nothing is trusted before the user says so"
        by_id(browser, "ssh-trust").click()

        wait_for(lambda: "Saved Dev box" in text_of(browser, "environments-status"), LAUNCH_SECONDS, "the saved one")
        row = browser.find_element("css selector", "#environments-list li")
        assert row.find_element("css selector", '[data-field="label"]').text == "Dev box"
        assert row.find_element("css selector", '[data-field="address"]').text.startswith("http://127.0.0.1:")
        state = row.find_element("css selector", '[data-field="state"]')
        wait_for(lambda: state.text.startswith("reachable"), FORWARD_SECONDS, "the forward that serve opens")
        assert by_id(browser, "ssh-error").is_displayed() is False
    assert (tmp_path / "known_hosts").read_text().split() == sshd.host_public_key.split()


def test_a_failed_launch_shows_one_line_and_the_steps_below_it(server_with_ssh, sshd, tmp_path):
    server = server_with_ssh
    (tmp_path / "known_hosts").write_text(sshd.host_public_key)
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="direct pairing")
        browser.get(f"{server.base_url}/environments")
        wait_for(lambda: by_id(browser, "ssh-add").is_displayed(), message="the SSH form for an owner")
        by_id(browser, "ssh-target").send_keys("127.0.0.1")
        by_id(browser, "ssh-port").send_keys(str(sshd.port))
        by_id(browser, "ssh-identity").send_keys(str(sshd.client_key))
        by_id(browser, "ssh-remote-dir").send_keys(str(tmp_path / "nothing-here"))
        by_id(browser, "ssh-submit").click()

        wait_for(lambda: by_id(browser, "ssh-error").is_displayed(), LAUNCH_SECONDS, "the error")
        assert "cannot run t3site yet" in text_of(browser, "ssh-error")
        assert "\n" not in text_of(browser, "ssh-error")
        assert "t3site is not installed in" in text_of(browser, "ssh-error-detail")
        assert text_of(browser, "ssh-status") == ""
