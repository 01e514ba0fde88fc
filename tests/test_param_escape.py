"""The listener escapes '%' and '$' in every param value, the runtime undoes it:
the two halves of one encoding, written on each side of the compiler/runtime line
and checked against each other here."""

from __future__ import annotations

import pytest

from generator.compile.cel import PARAM_ESCAPES, escaped, param_overlay
from generator.config.load import load_file
from generator.contract.params import read_param, unescape
from tests.conftest import EXAMPLE

HOSTILE = [
    "",
    "plain-v1.2",
    "$",
    "$$",
    "$$$",
    "$(context.pipelineRun.name)",
    "$$(params.x)",
    "$(HOSTNAME) $(tt.params.a)",
    "%",
    "%24",
    "%25",
    "%2524",
    "100% $5 %$ $%",
    "q\"dq\" 'sq' `id` \\ \n\r\t",
    "ünïcode €$ 🙂",
]


def cel_escape(value: str) -> str:
    """What the listener's overlay computes (CEL's replace is a plain replace-all)."""
    for char, code in PARAM_ESCAPES:
        value = value.replace(char, code)
    return value


@pytest.mark.parametrize("value", HOSTILE)
def test_escape_then_unescape_is_the_identity_and_leaves_no_dollar(value: str) -> None:
    sent = cel_escape(value)
    assert "$" not in sent
    assert unescape(sent) == value
    assert read_param({"BENCHGEN_PARAM_SUBMITTED_BY": sent}, "submitted-by") == value


def test_unset_param_reads_as_none() -> None:
    assert read_param({}, "submitted-by") is None


def test_every_overlay_escapes_percent_then_dollar() -> None:
    cfg = load_file(EXAMPLE, fast=False).bench
    for param in cfg.spec.params:
        expr = param_overlay(param)
        assert expr.endswith(".replace('%', '%25').replace('$', '%24')"), expr
    assert escaped("x") == "x.replace('%', '%25').replace('$', '%24')"
