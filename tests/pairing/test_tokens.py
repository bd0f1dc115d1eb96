"""Token crypto, without Django."""

from __future__ import annotations

import ipaddress

import pytest

from pairing import tokens
from pairing.clientip import client_ip


def test_a_pairing_code_is_twelve_symbols_of_the_alphabet():
    code = tokens.new_pairing_code()
    assert len(code) == 12
    assert set(code) <= set(tokens.PAIRING_ALPHABET)


def test_pairing_input_ignores_case_spaces_and_dashes():
    assert tokens.normalize_pairing_code(" abcd-efgh jkmn ") == "ABCDEFGHJKMN"


@pytest.mark.parametrize("text", ["", "ABCDEFGHJKM", "ABCDEFGHJKMNP", "ABCDEFGHJKM0", "ABCDEFGHJKMI"])
def test_it_refuses_a_malformed_pairing_code(text):
    with pytest.raises(tokens.MalformedToken):
        tokens.normalize_pairing_code(text)


def test_session_tokens_and_tickets_have_their_prefixes_and_256_bits():
    session, ticket = tokens.new_session_token(), tokens.new_ticket()
    assert session.startswith("t3s_") and len(session) == 47 and tokens.is_session_token(session)
    assert ticket.startswith("t3w_") and len(ticket) == 47 and tokens.is_ticket(ticket)
    assert not tokens.is_session_token(ticket)


def test_digests_depend_on_the_key():
    key_a, key_b = tokens.derive_key("secret-a", "x"), tokens.derive_key("secret-b", "x")
    assert tokens.digest("t3s_abc", key_a) != tokens.digest("t3s_abc", key_b)
    assert tokens.digests_match(tokens.digest("v", key_a), tokens.digest("v", key_a))


def test_the_client_ip_is_the_peer_unless_it_is_a_trusted_proxy():
    proxies = [ipaddress.ip_network("127.0.0.1/32")]
    assert client_ip("192.0.2.9", "198.51.100.1", proxies) == "192.0.2.9"
    assert client_ip("127.0.0.1", "198.51.100.1, 192.0.2.7", proxies) == "192.0.2.7"
    assert client_ip("127.0.0.1", "198.51.100.1", []) == "127.0.0.1"
    assert client_ip("::ffff:127.0.0.1", None, []) == "127.0.0.1"
