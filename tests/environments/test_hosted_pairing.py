"""Hosted pairing in real headless Chromium: the page on one real server, the backend on another."""

from __future__ import annotations

import json
from urllib.parse import quote

from tests.support.browser import PHONE_WINDOW, chromium, text_of, wait_for
from tests.support.server import manage

SAVED = "is saved in this browser"


def new_code(server) -> str:
    return json.loads(manage(server.home, "auth", "pairing", "create", "--json").stdout)["token"]


def hosted_link(page_server, backend, code: str, label: str = "") -> str:
    extra = f"&label={quote(label)}" if label else ""
    return f"{page_server.base_url}/pair?host={quote(backend.base_url, safe='')}{extra}#token={code}"


def saved_in_browser(browser) -> dict:
    return json.loads(browser.execute_script("return localStorage.getItem('t3site.environments')") or "{}")


def status_says(browser, text: str) -> bool:
    return text in text_of(browser, "pair-status")


def open_socket_and_call(browser, method: str):
    """Connect to the saved environment with core/api.js and environments/saved.js, as the app does; call ``method``."""
    return browser.execute_async_script(
        """
        const [method, done] = arguments;
        const { RpcSocket } = await import("/static/js/core/api.js");
        const { listEnvironments, backendFor } = await import("/static/js/environments/saved.js");
        const [environment] = await listEnvironments();
        const socket = new RpcSocket(backendFor(environment));
        socket.addEventListener("ended", (event) => done({ ended: event.detail }));
        socket.addEventListener("state", async (event) => {
          if (event.detail !== "open") return;
          try { done({ result: await socket.call(method), environment }); }
          catch (error) { done({ error: error.message }); }
          finally { socket.close(); }
        });
        socket.connect();
        """,
        method,
    )


def test_hosted_pairing_saves_the_backend_hides_the_token_and_opens_a_socket(server, backend):
    with chromium(PHONE_WINDOW) as browser:
        browser.set_script_timeout(15)
        browser.get(hosted_link(server, backend, backend.token, label="Build box"))
        wait_for(lambda: status_says(browser, f"Build box {SAVED}"), message="the saved message")

        assert backend.token not in browser.current_url
        assert browser.execute_script("return location.hash") == ""
        assert browser.execute_script("return document.referrer") == ""

        descriptor = json.loads(manage(backend.home, "environments", "list", "--json").stdout or "[]")
        assert descriptor == []  # the backend saved nothing: the browser keeps its environment
        [entry] = saved_in_browser(browser).values()
        assert entry["httpBaseUrl"] == backend.base_url and entry["label"] == "Build box"
        assert entry["sessionToken"].startswith("t3s_")
        assert backend.token not in server.output  # the page's own server never saw the code

        called = open_socket_and_call(browser, "server.probe")
        assert called.get("result", {}).get("ok") is True, called
        assert called["environment"]["where"] == "browser"
        assert "sessionToken" not in called["environment"]

        called = open_socket_and_call(browser, "projects.list")
        assert "result" in called, called

        browser.find_element("id", "pair-open").click()
        wait_for(lambda: "?environment=" in browser.current_url, message="the app for that environment")
        # The app's address names the backend too: the page may reach only what it names (t3site/csp.py).
        opened = f"/?environment={entry['environmentId']}&host={quote(backend.base_url, safe='')}"
        assert browser.current_url.endswith(opened)
        browser.back()  # the history entry of the pairing page no longer holds the code
        wait_for(lambda: "/pair?host=" in browser.current_url, message="going back to the pairing page")
        assert backend.token not in browser.current_url


def test_a_reused_link_says_to_ask_for_a_new_one(server, backend):
    with chromium() as browser:
        browser.get(hosted_link(server, backend, backend.token))
        wait_for(lambda: status_says(browser, SAVED), message="the first pairing")
        browser.get(hosted_link(server, backend, backend.token))
        wait_for(lambda: status_says(browser, "not valid"), message="the used-link message")
        assert "new link" in text_of(browser, "pair-next")
        assert len(saved_in_browser(browser)) == 1


def test_a_dead_backend_says_so_and_does_not_spend_the_code(server, backend, unused_port):
    with chromium() as browser:
        dead = f"{server.base_url}/pair?host=http://127.0.0.1:{unused_port}#token={backend.token}"
        browser.get(dead)
        wait_for(lambda: status_says(browser, "cannot be reached"), message="the unreachable message")
        assert "running" in text_of(browser, "pair-next")
        assert backend.token not in browser.current_url
        browser.get(hosted_link(server, backend, backend.token))
        wait_for(lambda: status_says(browser, SAVED), message="the same code, still good, on the live backend")


def test_an_address_with_a_path_is_refused_before_any_request(server, backend):
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair?host={quote(backend.base_url + '/admin', safe='')}#token={backend.token}")
        wait_for(lambda: status_says(browser, "cannot be used"), message="the bad-address message")
        assert "without a path" in text_of(browser, "pair-next")


def test_a_server_that_refuses_cross_origin_calls_is_told_apart_from_a_dead_one(server, plain_http_server):
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair?host={quote(plain_http_server, safe='')}#token=ABCD-EFGH-JKMN")
        wait_for(lambda: status_says(browser, "does not let this page call it"), message="the CORS message")
        assert "CORS" in text_of(browser, "pair-next")


def test_a_link_without_a_code_or_with_a_bad_one_says_which(server, backend):
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair?host={quote(backend.base_url, safe='')}")
        wait_for(lambda: status_says(browser, "has no pairing code"), message="the missing-code message")
        assert browser.find_element("id", "pair-host").get_attribute("value") == backend.base_url
        browser.get(f"{server.base_url}/pair?host=#token={backend.token}")
        wait_for(lambda: status_says(browser, "does not say which server"), message="the missing-host message")
        browser.get(f"{server.base_url}/pair?host={quote(backend.base_url, safe='')}#token=NOT-A-CODE")
        wait_for(lambda: status_says(browser, "not a pairing code"), message="the malformed-code message")


def test_the_manual_form_pairs_with_a_typed_host_and_code(server, backend):
    code = new_code(backend)
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair")
        wait_for(lambda: browser.find_element("id", "pair-form").is_displayed(), message="the form")
        browser.find_element("id", "pair-host").send_keys(backend.base_url.removeprefix("http://"))
        browser.find_element("id", "pair-token").send_keys(f"{code[:4].lower()} {code[4:8]}-{code[8:]}")
        browser.find_element("id", "pair-submit").click()
        browser.execute_script("document.getElementById('pair-form').requestSubmit()")  # a double submit
        wait_for(lambda: status_says(browser, SAVED), message="the saved message")
        assert "not valid" not in text_of(browser, "pair-status")
        assert len(saved_in_browser(browser)) == 1


def test_a_browser_paired_here_also_saves_the_backend_in_this_servers_list(server, backend):
    with chromium() as browser:
        browser.get(f"{server.base_url}/pair#token={server.token}")
        wait_for(lambda: browser.current_url.rstrip("/") == server.base_url, message="direct pairing first")
        browser.get(hosted_link(server, backend, backend.token, label="Build box"))
        wait_for(lambda: status_says(browser, "and in this server's list"), message="the saved-on-server message")
        [row] = json.loads(manage(server.home, "environments", "list", "--json").stdout)
        assert row["label"] == "Build box" and row["httpBaseUrl"] == backend.base_url
        assert row["hasCredential"] is False  # the token stayed in the browser
        assert backend.token not in server.output


def labelled_code(server, label: str) -> str:
    return json.loads(manage(server.home, "auth", "pairing", "create", "--label", label, "--json").stdout)["token"]


def device_names(server) -> list[str]:
    return [session["label"] for session in json.loads(manage(server.home, "auth", "session", "list", "--json").stdout)]


def submit_the_form(browser, host: str = "", code: str = "", label: str = "") -> None:
    wait_for(lambda: browser.find_element("id", "pair-form").is_displayed(), message="the pairing form")
    for name, value in (("host", host), ("token", code), ("label", label)):
        browser.find_element("id", f"pair-{name}").clear()
        browser.find_element("id", f"pair-{name}").send_keys(value)
    browser.find_element("id", "pair-submit").click()


def test_a_direct_pairing_url_pasted_into_the_address_field_pairs_with_that_server(server, backend):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair")
        submit_the_form(browser, host=backend.printed["Pairing URL"])
        wait_for(lambda: status_says(browser, SAVED), message="the saved message")
        [entry] = saved_in_browser(browser).values()
        assert entry["httpBaseUrl"] == backend.base_url
        # The form shows what the pasted URL was read as.
        assert browser.find_element("id", "pair-host").get_attribute("value") == backend.base_url


def test_a_hosted_pairing_url_pasted_into_the_code_field_pairs_with_its_host_and_takes_its_label(server, backend):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(f"{server.base_url}/pair")
        submit_the_form(browser, code=hosted_link(server, backend, labelled_code(backend, "ipad"), label="Build box"))
        wait_for(lambda: status_says(browser, f"Build box {SAVED}"), message="the saved message")
        assert [entry["httpBaseUrl"] for entry in saved_in_browser(browser).values()] == [backend.base_url]


def test_the_backend_names_the_device_after_the_links_label_unless_a_name_is_typed(server, backend):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(hosted_link(server, backend, labelled_code(backend, "ipad")))
        wait_for(lambda: status_says(browser, SAVED), message="the first pairing")
        assert device_names(backend) == ["ipad"]  # not the browser's "Chrome on Linux"

        browser.get(f"{server.base_url}/pair")
        submit_the_form(browser, host=backend.base_url, code=labelled_code(backend, "ipad"), label="Kitchen tablet")
        wait_for(lambda: status_says(browser, SAVED), message="pairing again")
        assert device_names(backend) == ["Kitchen tablet"]  # pairing again logged the first session out


def test_going_back_to_a_used_pairing_link_says_the_backend_is_saved(server, backend):
    with chromium(PHONE_WINDOW) as browser:
        browser.get(hosted_link(server, backend, backend.token))
        wait_for(lambda: status_says(browser, SAVED), message="the saved message")
        browser.get(f"{server.base_url}/pair?host={quote(backend.base_url, safe='')}")  # the link, less its code
        wait_for(lambda: status_says(browser, SAVED), message="the saved message again")
        assert "new pairing code" in text_of(browser, "pair-next")
        assert browser.find_element("id", "pair-open").is_displayed()
