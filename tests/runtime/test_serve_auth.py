"""serve's credentials: parsing the Secret file, and the digest comparison."""

import base64
import hashlib

import pytest

from generator.runtime.errors import InputError
from generator.runtime.serve.auth import load_credentials

TOKEN = "s3cr3t-token-0123456789"


def _basic(user_pass: str) -> str:
    return "Basic " + base64.b64encode(user_pass.encode()).decode()


@pytest.mark.parametrize(
    ("auth_type", "content", "accepted", "refused"),
    [
        # A Secret key written with a newline; the scheme is case-insensitive.
        (
            "bearer",
            TOKEN + "\n",
            [f"Bearer {TOKEN}", f"bearer  {TOKEN} "],
            [None, "", "Bearer", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}",
             _basic(f"user:{TOKEN}"), TOKEN],
        ),
        # Several tokens let a rotation overlap; a comment is no token.
        (
            "bearer",
            f"# old, remove after 2025-01\n{TOKEN}\n\nnew-token-abcdefghijkl\n",
            [f"Bearer {TOKEN}", "Bearer new-token-abcdefghijkl"],
            ["Bearer # old, remove after 2025-01"],
        ),
        # user:password lines; a password may hold colons, and is only its user's.
        (
            "basic",
            "ci:correct horse battery\nadmin:pa:ss:word\n",
            [_basic("ci:correct horse battery"), _basic("admin:pa:ss:word")],
            [_basic("ci:correct horse batter"), _basic("ci:"), _basic("admin:correct horse battery"),
             "Basic not-base64!", "Bearer " + base64.b64encode(b"ci:correct horse battery").decode()],
        ),
    ],
    ids=["bearer", "rotation", "basic"],
)  # fmt: skip
def test_credentials_accept_exactly_their_own(tmp_path, auth_type, content, accepted, refused):
    path = tmp_path / "creds"
    path.write_text(content)
    creds = load_credentials(auth_type, str(path))
    assert [h for h in accepted if not creds.accepts(h)] == []
    assert [h for h in refused if creds.accepts(h)] == []
    assert creds.challenge == f'{auth_type.title()} realm="benchgen"'


def test_only_digests_are_kept(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN)
    creds = load_credentials("bearer", str(path))
    assert creds.digests == (hashlib.sha256(TOKEN.encode()).digest(),)
    assert TOKEN.encode() not in repr(creds).encode()


@pytest.mark.parametrize(
    ("auth_type", "content", "message"),
    [
        (None, TOKEN, "BENCHGEN_AUTH_TYPE must be 'bearer' or 'basic'"),
        ("none", TOKEN, "no default credentials"),
        ("bearer", "", "no credentials in it; refusing to start"),
        ("bearer", "\n# only a comment\n", "no credentials in it"),
        ("bearer", "short", "line 1: a bearer token is one word of at least 16"),
        ("bearer", "two words in one token line", "line 1: a bearer token is one word"),
        ("basic", "no-colon-here", "line 1: expected user:password"),
        ("basic", ":password-without-user", "line 1: expected user:password"),
        ("basic", "ci:pw12", "password of 'ci' is shorter than 8"),
        ("basic", "ci:password1\nci:password2", "line 2: user 'ci' appears twice"),
    ],
)
def test_bad_credentials_refuse_to_start(tmp_path, auth_type, content, message):
    path = tmp_path / "creds"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as err:
        load_credentials(auth_type, str(path))
    # The file's content (a secret) never appears in the message.
    if len(content) > 4 and auth_type in ("bearer", "basic"):
        assert content.split(":")[-1] not in str(err.value)


def test_a_missing_file_or_no_file_refuses_to_start(tmp_path):
    with pytest.raises(InputError, match="BENCHGEN_AUTH_FILE is required"):
        load_credentials("bearer", None)
    with pytest.raises(InputError, match="cannot read it"):
        load_credentials("bearer", str(tmp_path / "absent"))
