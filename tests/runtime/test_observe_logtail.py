"""Redaction and the size cap of the step log tail."""

from __future__ import annotations

import pytest

from generator.runtime.observe.logtail import MASK, build_tail, redact, redact_strings

SECRET = "hunter2-S3cr3t-value"


@pytest.mark.parametrize(
    "line",
    [
        f"password={SECRET}",
        f"DB_PASSWORD: {SECRET}",
        f'{{"apiKey": "{SECRET}"}}',
        f"export GITHUB_TOKEN='{SECRET}'",
        f"aws_secret_access_key = {SECRET}",
        f"client_secret={SECRET}&grant_type=x",
        f"curl --token {SECRET} https://x",
        f"Authorization: Bearer {SECRET}",
        f"authorization: basic {SECRET}",
        f"git clone https://bot:{SECRET}@github.com/org/repo",
        "token ghp_" + "a" * 36,
        "key AKIAABCDEFGHIJKLMNOP used",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",
        "OPENAI sk-proj-" + "x" * 30,
        "hf hf_" + "b" * 34,
    ],
)
def test_credential_looking_values_are_masked(line: str) -> None:
    out = redact(line)
    assert MASK in out
    for fragment in (SECRET, "a" * 36, "AKIAABCDEFGHIJKLMNOP", "SflKxwRJSMeKKF2QT4fw", "x" * 30):
        assert fragment not in out


def test_keys_stay_readable() -> None:
    assert redact(f"password={SECRET}") == f"password={MASK}"
    assert redact(f'"apiKey": "{SECRET}"') == f'"apiKey": "{MASK}"'
    assert redact(f"https://bot:{SECRET}@host/x") == f"https://bot:{MASK}@host/x"


def test_ordinary_lines_are_untouched() -> None:
    for line in ("compiling 12 files", "batch 42 COMPLETED in 3m", "see https://example.com/a?b=c"):
        assert redact(line) == line


def test_private_key_blocks_whole_cut_at_the_start_or_the_end() -> None:
    block = (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nqwerty\n-----END RSA PRIVATE KEY-----"
    )
    assert redact(f"before\n{block}\nafter") == f"before\n{MASK}\nafter"
    # The window began inside the block.
    assert redact("KCAQEA\nqwerty\n-----END RSA PRIVATE KEY-----\nafter") == f"{MASK}\nafter"
    # The log ends inside the block.
    assert "MIIEpAIBAAKCAQEA" not in redact("x\n-----BEGIN PRIVATE KEY-----\nMIIEpAIBAAKCAQEA")


def test_redact_strings_walks_json() -> None:
    value = {"a": [f"token={SECRET}", 3, None], "b": {"c": f"password: {SECRET}"}}
    out = redact_strings(value)
    assert SECRET not in repr(out) and out["a"][1:] == [3, None]


def test_tail_of_a_short_complete_log_is_the_log() -> None:
    assert build_tail(b"one\ntwo\n", 100, complete=True) == ("one\ntwo\n", False)


def test_tail_is_capped_to_the_last_bytes() -> None:
    log = b"".join(b"line %03d\n" % i for i in range(100))
    text, truncated = build_tail(log, 50, complete=True)
    assert truncated and len(text.encode()) <= 50
    assert text.endswith("line 099\n")


def test_a_cut_never_leaves_a_secret_without_its_key() -> None:
    # The secret's key is just before the cap boundary: redaction runs first.
    log = f"noise\npassword={SECRET}\n".encode()
    for cap in range(1, len(log) + 1):
        text, _ = build_tail(log, cap, complete=True)
        assert "S3cr3t" not in text, cap


def test_a_window_starting_mid_line_drops_that_line() -> None:
    # read_log_end kept only the end: "...rd=<secret>" lost its key; it must go.
    text, truncated = build_tail(f"rd={SECRET}\nnext line\n".encode(), 100, complete=False)
    assert (text, truncated) == ("next line\n", True)


def test_multibyte_characters_are_not_split() -> None:
    log = "é" * 100  # 2 bytes each
    text, truncated = build_tail(log.encode(), 51, complete=True)
    assert truncated and text == "é" * 25


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    text, _ = build_tail(b"ok \xff\xfe done\n", 100, complete=True)
    assert text == "ok \ufffd\ufffd done\n"


def test_zero_cap_means_no_log() -> None:
    assert build_tail(b"anything", 0, complete=True) == ("", True)
