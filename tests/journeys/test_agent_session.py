"""A developer drives coding agents from their phone: a streamed answer, a permission, a tool call done."""

from __future__ import annotations

import pytest

from tests.agents.support import agents_setting
from tests.support.browser import wait_for
from tests.support.server import add_project, command_env, manage, start_server

# A policy stricter than the server's own: scripts only from the server, no eval, no inline script.
# Added to the loaded page, it holds for everything the page does afterwards.
STRICT_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(event.violatedDirective));
const policy = document.createElement("meta");
policy.httpEquiv = "Content-Security-Policy";
policy.content = "script-src 'self'; object-src 'none'; base-uri 'none'";
document.head.append(policy);
"""
INJECTION = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


@pytest.fixture
def agents_server(tmp_path):
    """A real server whose T3SITE_AGENTS names the scripted ACP agents (tests/agents/fixtures)."""
    store = tmp_path / "agent-store"
    store.mkdir()
    env = command_env(tmp_path / "home", T3SITE_AGENTS=agents_setting(store))
    running = start_server(tmp_path / "home", env=env)
    yield running, env
    running.stop()


def test_a_phone_streams_an_answer_then_approves_the_agents_edit(agents_server, people, tmp_path):
    server, env = agents_server
    add_project(server.home, tmp_path / "shop", {"notes.txt": "old text\n"}, env=env)

    phone = people("phone")
    phone.opens(server.printed["Pairing URL"])
    phone.taps("#project-list [data-project-id]")
    phone.taps("#tab-agents")
    phone.sees("No agent has worked in this project yet.")

    phone.driver.execute_script(STRICT_CSP)
    # The policy holds from here on (a string the page asks to run is refused), so the conversation
    # below is drawn under it.
    phone.driver.execute_script("setTimeout('window.evalRan = true', 0)")
    wait_for(lambda: phone.driver.execute_script("return window.cspViolations.length"), message="a refusal")
    assert phone.driver.execute_script("const seen = window.cspViolations; window.cspViolations = []; return seen")
    assert phone.driver.execute_script("return window.evalRan") is None
    phone.chooses("#agent-choice", "chat")
    phone.taps_text("Start")
    phone.sees_in("#agent-state", "ready")
    phone.types("#agent-prompt", "hello from the bus")
    phone.taps("#agent-send")
    phone.sees_in("#agent-stream", "You said: hello from the bus")
    # The agent's Markdown is rendered: *emphasis* is shown emphasised, not with its stars.
    assert phone.text_of("#agent-stream .message.agent em") == "hello from the bus"
    phone.sees_in("#agent-state", "ready")
    phone.sees_in("#agent-stream .thought summary", "Thinking")

    # Markup in an answer is sanitised: the agent echoes it, nothing of it runs or loads.
    phone.types("#agent-prompt", INJECTION)
    phone.taps("#agent-send")
    said = "return [...document.querySelectorAll('#agent-stream .message.user')].pop().textContent"
    wait_for(lambda: phone.driver.execute_script(said) == INJECTION, message="the prompt shown as typed")
    phone.sees_in("#agent-stream", f"You said: {INJECTION}")  # the agent's markup, shown as the text it is
    assert (
        phone.driver.execute_script(
            "return document.querySelectorAll('#agent-stream img, #agent-stream script').length"
        )
        == 0
    )
    assert phone.driver.title != "pwned"
    assert phone.driver.execute_script("return window.cspViolations") == []

    phone.taps("#agent-back")
    phone.sees_in("#agent-sessions", "hello from the bus")
    phone.chooses("#agent-choice", "tools")
    phone.taps_text("Start")
    phone.types("#agent-prompt", "tidy the notes")
    phone.taps("#agent-send")
    phone.sees_in("#agent-permissions", "Allow? Edit notes.txt")
    phone.sees_in("#agent-stream .tool", "waiting")
    phone.sees_in("#agent-stream .tool .diff", "+ new text")
    phone.sees_in("#agent-stream .plan", "Edit notes.txt")
    phone.screenshot("permission")
    phone.taps_text("Allow", "#agent-permissions button")

    phone.sees_in("#agent-stream", "Done: edited notes.txt.")
    phone.sees_in("#agent-stream .tool", "done")
    assert (
        phone.driver.find_element(phone.by.CSS_SELECTOR, "#agent-stream .tool").get_attribute("data-status")
        == "completed"
    )
    assert phone.text_of("#agent-permissions") == ""
    phone.sees_in("#agent-state", "ready")


def test_a_second_device_sees_the_conversation_so_far_and_the_answer_given_on_the_first(
    agents_server, people, tmp_path
):
    server, env = agents_server
    add_project(server.home, tmp_path / "shop", env=env)

    phone = people("phone")
    phone.opens(server.printed["Pairing URL"])
    phone.taps("#project-list [data-project-id]")
    phone.taps("#tab-agents")
    phone.chooses("#agent-choice", "tools")
    phone.taps_text("Start")
    phone.types("#agent-prompt", "tidy the notes")
    phone.taps("#agent-send")
    phone.sees_in("#agent-permissions", "Allow? Edit notes.txt")

    pairing = manage(server.home, "pair", "--label", "tablet", env=env)
    tablet = people("tablet")
    tablet.opens(pairing.stdout.split("Pairing URL: ")[1].split()[0])
    tablet.taps("#project-list [data-project-id]")
    tablet.taps("#tab-agents")
    tablet.taps("#agent-sessions [data-session-id]")
    tablet.sees_in("#agent-stream", "tidy the notes")
    tablet.sees_in("#agent-permissions", "Allow? Edit notes.txt")  # the waiting request is offered here too
    tablet.taps_text("Reject", "#agent-permissions button")

    phone.sees_in("#agent-stream", "Left notes.txt alone.")
    assert phone.text_of("#agent-permissions") == ""  # answered on the tablet, gone from the phone
    tablet.sees_in("#agent-stream .tool", "failed")


def test_a_phone_that_loses_its_connection_mid_answer_gets_the_whole_answer_once(agents_server, people, tmp_path):
    server, env = agents_server
    add_project(server.home, tmp_path / "shop", env=env)
    prompt = " ".join(f"w{n}" for n in range(60))  # streamed a word every 20 ms: over a second

    phone = people("phone")
    phone.opens(server.printed["Pairing URL"])
    phone.taps("#project-list [data-project-id]")
    phone.taps("#tab-agents")
    phone.chooses("#agent-choice", "chat")
    phone.taps_text("Start")
    phone.sees_in("#agent-state", "ready")
    phone.types("#agent-prompt", prompt)
    phone.taps("#agent-send")
    phone.sees_in("#agent-stream .message.agent", "w5")
    phone.driver.execute_script("window.t3site.rpc.socket.close()")  # the train enters a tunnel

    phone.sees_in("#agent-stream .message.agent", f"You said: {prompt}")
    phone.sees_in("#agent-state", "ready")
    assert phone.text_of("#agent-stream .message.agent") == f"You said: {prompt}"  # nothing twice, nothing lost
    # The prompt went before the connection did: it is not offered again, and no error says otherwise.
    assert phone.driver.execute_script("return document.getElementById('agent-prompt').value") == ""
    assert not phone.is_shown("#agent-error")
