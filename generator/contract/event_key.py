"""The key that names a CloudEvent's PipelineRun: one per (source, id).

The CloudEvents spec makes ``source`` + ``id`` the identity of an event: the
same id from two sources are two events, the same pair sent again is the same
event. A run name holds at most 63 characters and Triggers' CEL has no hash
function, so the run is named ``<runPrefix><key>``, the key computed by the
``benchgen-poller event-key`` interceptor (the runtime) and by ``benchgen
trigger`` (the compiler side, to print the run name). Part of
``generator.contract`` (standard library only).

The key is the first ``KEY_LENGTH`` hex digits of SHA-256 over a length-prefixed
encoding of the pair: a version tag, then for source and id the byte length of
its UTF-8 form as 8 bytes big-endian, then those bytes. No two pairs share an
encoding (("a", "bc") and ("ab", "c") differ in their first length), so two
different events share a key only by a 128-bit hash collision. Lower-case hex
is DNS-safe and starts and ends with a letter or digit.
"""

from __future__ import annotations

import hashlib

VERSION = b"benchgen.dev/cloudevent-key/v1\x00"
KEY_LENGTH = 32  # hex digits: 128 bits; fits the 36 characters a runPrefix must leave
# The top-level key of the interceptor's extensions ($(extensions.cloudevent_key)).
# Its own top-level key: Triggers merges each interceptor's extensions into the
# chain's by top-level key, so sharing the CEL overlays' "cloudevent" map would
# replace it.
EXTENSION = "cloudevent_key"
SOURCE_HEADER = "Ce-Source"
ID_HEADER = "Ce-Id"


def _field(text: str) -> bytes:
    # surrogatepass: a JSON "\ud800" decodes to a lone surrogate; it still has one encoding.
    data = text.encode("utf-8", "surrogatepass")
    return len(data).to_bytes(8, "big") + data


def event_key(source: str, ident: str) -> str:
    """The key of the event (``source``, ``ident``): 32 lower-case hex digits."""
    digest = hashlib.sha256(VERSION + _field(source) + _field(ident)).hexdigest()
    return digest[:KEY_LENGTH]


# --- webhook deliveries --------------------------------------------------------
# A webhook run is keyed on the provider's own identity of the delivery, which a
# redelivery keeps: GitHub's X-GitHub-Delivery GUID (the same on a redelivery, from
# the UI or the REST API) and GitLab's Idempotency-Key (the same on GitLab's
# automatic retries and on "Resend request"). GitLab's X-Gitlab-Event-UUID is not
# used: it is the recursion-detection UUID, shared by every webhook one request
# fires, so two different events may carry the same one.
DELIVERY_VERSION = b"benchgen.dev/delivery-key/v1\x00"
DELIVERY_HEADERS = {"github": "X-GitHub-Delivery", "gitlab": "Idempotency-Key"}
# $(extensions.delivery_key): a top-level key of its own, as for EXTENSION.
DELIVERY_EXTENSION = "delivery_key"
# The interceptor param (interceptor_params) naming the provider on the webhook listener;
# without it the interceptor keys CloudEvents.
PROVIDER_PARAM = "provider"


def delivery_key(provider: str, delivery: str) -> str:
    """The key of ``provider``'s delivery ``delivery``: 32 lower-case hex digits.

    Hashed as event_key is, under another version tag, so a delivery key never
    equals the key of a CloudEvent whose source and id happen to be the same text."""
    digest = hashlib.sha256(DELIVERY_VERSION + _field(provider) + _field(delivery)).hexdigest()
    return digest[:KEY_LENGTH]
