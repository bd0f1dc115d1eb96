"""Hostile frames and params on /ws, through a real server: always a documented answer, never a crash.

Every JSON-RPC method (read from the registry, so a new one is covered the day it lands) gets
params with each known field missing, of the wrong type, huge, or odd Unicode (lone surrogates,
NUL, 10,000 characters), plus fields nobody asked for. The answer is a result or one of the
documented error codes, never -32603 or a traceback; the socket stays open; and a bystander on
another session keeps being answered.
"""

from __future__ import annotations

import json
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from agents.catalog import KNOWN_AGENTS
from tests.hostile.callers import ANSWER_TIMEOUT_SECONDS, add_project, ask, registered_methods, socket_for
from tests.hostile.conftest import fuzz
from tests.hostile.strategies import (
    DEEP_JSON,
    JSON_VALUES,
    MALFORMED_JSON,
    ODD_TEXT,
    ODD_VALUES,
    WRONG_TYPES,
    encoded,
    params_for,
)
from workspace import rpc

# docs/contract.md section 5's codes for a request the server understood and refused. -32603 is
# documented too, but means the server failed: a hostile input must never get it.
DOCUMENTED_CODES = {
    rpc.PARSE_ERROR,
    rpc.INVALID_REQUEST,
    rpc.METHOD_NOT_FOUND,
    rpc.INVALID_PARAMS,
    rpc.INSUFFICIENT_SCOPE,
    rpc.NOT_FOUND,
    rpc.CONFLICT,
    rpc.TOO_LARGE,
}
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Arena:
    """A real server with a git project, a running `cat` terminal, an owner socket and a bystander's."""

    server: object
    project_id: str
    terminal_id: str
    scratch: Path
    owner_ws: object
    framer_ws: object
    bystander_ws: object

    def assert_still_serving(self, log_from: int) -> None:
        for ws in (self.owner_ws, self.framer_ws, self.bystander_ws):
            assert ask(ws, "server.probe")["result"]["ok"] is True
        assert TRACEBACK not in self.server.output[log_from:], self.server.output[log_from:][-3000:]


@pytest.fixture(scope="module")
def arena(hostile_server, minter, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("scratch")
    with ExitStack() as sockets:
        owner = sockets.enter_context(socket_for(hostile_server, minter.live("owner")))
        project_id = add_project(owner, tmp_path_factory.mktemp("work") / "project")
        # Frames are thrown by a read+write device: nothing it sends starts a program or drops a project.
        framer = sockets.enter_context(socket_for(hostile_server, minter.live("framer", "read", "write")))
        bystander = sockets.enter_context(socket_for(hostile_server, minter.live("bystander", "read")))
        opened = ask(owner, "terminal.open", {"projectId": project_id, "cols": 80, "rows": 24, "command": ["cat"]})
        yield Arena(hostile_server, project_id, opened["result"]["terminalId"], scratch, owner, framer, bystander)


def known_params(name: str, arena: Arena) -> tuple[dict[str, st.SearchStrategy], dict[str, st.SearchStrategy]]:
    """Return the parameters docs/contract.md section 5 gives ``name`` (optional ones, always-sent ones), hostile.

    A real project or terminal id is offered where the call cannot remove it; folders that
    would be made or added stay under the scratch folder, or are places that must be refused.
    """
    project = st.one_of(st.just(arena.project_id), ODD_VALUES)
    terminal = st.one_of(st.just(arena.terminal_id), ODD_VALUES)
    size = st.one_of(st.integers(min_value=-5, max_value=1005), st.sampled_from([2**63, 10**100]), WRONG_TYPES)
    outside = st.one_of(
        ODD_TEXT.map(lambda text: f"{arena.scratch}/{text.replace('..', '_')}"),
        st.sampled_from(["/proc/t3site-fuzz", f"{arena.server.home}/t3site-fuzz", f"{arena.scratch}/\x00"]),
        WRONG_TYPES,
    )
    # Never null (a login shell) nor a command line a shell would run: only refusals, and `true`.
    command = st.one_of(
        WRONG_TYPES.filter(lambda value: value is not None and not isinstance(value, list)),
        st.sampled_from(["", [], [""], ["true", "a\x00"], ["\ud800"], "\ud800", "tr\x00ue", [1], ["true"]]),
    )
    files = {"projectId": project, "path": ODD_VALUES}
    optional = {
        "projects.rename": {"id": project, "title": ODD_VALUES},
        "projects.add": {"path": outside, "title": ODD_VALUES},
        "projects.remove": {"id": ODD_VALUES, "force": ODD_VALUES},
        "filesystem.browse": {"path": outside, "showHidden": ODD_VALUES},
        "filesystem.createDirectory": {"path": outside},
        "files.list": files,
        "files.read": files,
        "files.write": {
            **files,
            "content": ODD_VALUES,
            "encoding": st.one_of(st.sampled_from(["utf-8", "base64"]), ODD_VALUES),
            "expectedSha256": ODD_VALUES,
        },
        "git.status": {"projectId": project},
        "git.log": {"projectId": project, "limit": st.one_of(st.integers(), ODD_VALUES)},
        "git.diff": {**files, "staged": ODD_VALUES},
        "terminal.open": {"projectId": project, "cwd": ODD_VALUES, "cols": size, "rows": size},
        "terminal.attach": {"terminalId": terminal},
        "terminal.write": {"terminalId": terminal, "data": ODD_VALUES},
        "terminal.resize": {"terminalId": terminal, "cols": size, "rows": size},
        "terminal.close": {"terminalId": ODD_VALUES},
        # No agent is started: an agentId is never one the server knows.
        "agents.start": {
            "projectId": project,
            "agentId": ODD_VALUES.filter(lambda value: not isinstance(value, str) or value not in KNOWN_AGENTS),
        },
        "agents.sessions": {"projectId": project},
        "agents.attach": {"sessionId": ODD_VALUES, "after": st.one_of(st.integers(), ODD_VALUES)},
        "agents.prompt": {"sessionId": ODD_VALUES, "text": ODD_VALUES},
        "agents.respond": {"sessionId": ODD_VALUES, "requestId": ODD_VALUES, "optionId": ODD_VALUES},
        "agents.cancel": {"sessionId": ODD_VALUES},
        "agents.close": {"sessionId": ODD_VALUES},
    }.get(name, {})
    return optional, ({"command": command} if name == "terminal.open" else {})


def hostile_params(name: str, arena: Arena) -> st.SearchStrategy:
    optional, required = known_params(name, arena)
    objects = st.tuples(params_for(optional), st.fixed_dictionaries(required)).map(lambda pair: {**pair[0], **pair[1]})
    # Params that are not an object at all are refused before any method runs (-32602).
    return st.one_of(objects, JSON_VALUES.filter(lambda value: not isinstance(value, dict)))


def assert_documented(answer: dict) -> None:
    assert answer.get("jsonrpc") == "2.0", answer
    if "error" in answer:
        error = answer["error"]
        assert error["code"] in DOCUMENTED_CODES and isinstance(error["message"], str), answer
    else:
        assert "result" in answer, answer
    assert TRACEBACK not in json.dumps(answer), answer


@pytest.mark.parametrize("name", sorted(registered_methods()))
def test_every_method_answers_hostile_params_with_a_documented_error(arena, name):
    log_from = len(arena.server.output)

    @fuzz()
    @given(params=hostile_params(name, arena))
    def answers(params):
        try:
            assert_documented(ask(arena.owner_ws, name, params))
        except ConnectionClosed as exc:
            pytest.fail(f"the socket closed ({exc}) on {name} {params!r:.500}")

    answers()
    arena.assert_still_serving(log_from)


# Request-shaped objects, with every field of the wrong kind now and then.
REQUEST_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.one_of(st.just("2.0"), ODD_VALUES),
        "id": st.one_of(st.integers(), ODD_VALUES),
        "method": st.one_of(st.sampled_from(sorted(registered_methods())), ODD_VALUES),
        "params": st.one_of(st.dictionaries(ODD_TEXT, ODD_VALUES, max_size=4), ODD_VALUES),
    },
)


def expected_answer(frame: str | bytes) -> tuple[bool, object, int | None]:
    """Return (answered?, its id, its error code if the frame is not a request) per docs/protocol.md."""
    if isinstance(frame, bytes):
        return True, None, rpc.INVALID_REQUEST
    try:
        payload = json.loads(frame)
    except ValueError:
        return True, None, rpc.PARSE_ERROR
    if not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0" or not isinstance(payload.get("method"), str):
        return True, None, rpc.INVALID_REQUEST
    request_id = payload.get("id")
    if request_id is not None and (not isinstance(request_id, (str, int)) or isinstance(request_id, bool)):
        return True, None, rpc.INVALID_REQUEST
    return "id" in payload, request_id, None


# Each frame with what the server must answer: an error with id null for what is not a request,
# the request's own answer, or nothing for a notification.
FRAMES = st.one_of(
    st.one_of(MALFORMED_JSON, JSON_VALUES.map(encoded), REQUEST_LIKE.map(encoded), st.binary(max_size=64)).map(
        lambda frame: (frame, expected_answer(frame))
    ),
    DEEP_JSON.map(lambda frame: (frame, (True, None, rpc.PARSE_ERROR))),
)


def exchange(ws, frame: str | bytes, answered: bool) -> list[dict]:
    """Send ``frame`` then a probe; return the answers other than the probe's, read until both came.

    Everything is read before anything is checked, so a failing example leaves no frame behind.
    """
    probe = f"probe-{uuid.uuid4().hex}"
    ws.send(frame)
    ws.send(json.dumps({"jsonrpc": "2.0", "id": probe, "method": "server.probe", "params": {}}))
    replies: list[dict] = []
    while not (any(reply.get("id") == probe for reply in replies) and len(replies) >= 1 + answered):
        reply = json.loads(ws.recv(timeout=ANSWER_TIMEOUT_SECONDS))
        if "method" not in reply:  # not a notification
            replies.append(reply)
    return [reply for reply in replies if reply.get("id") != probe]


def test_malformed_frames_get_parse_and_request_errors_and_the_socket_stays_open(arena):
    log_from = len(arena.server.output)

    @fuzz(150)
    @given(case=FRAMES)
    def answers(case):
        frame, (answered, request_id, code) = case
        answers = exchange(arena.framer_ws, frame, answered)
        assert len(answers) == answered, (frame[:300], answers)
        for answer in answers:
            assert answer.get("id") == request_id, (frame[:300], answer)
            assert_documented(answer)
            if code is not None:
                assert answer["error"]["code"] == code, (frame[:300], answer)

    answers()
    arena.assert_still_serving(log_from)
