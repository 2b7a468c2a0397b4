"""The token fixtures the Swift tests verify in process are checked here by another verifier
(joserfc on `cryptography`), so that a token the Swift verifier accepts is one that is really
valid, and each fixture holds the claims its documentation says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import KeySet

from testkit import swift_fixtures

SOURCE = Path(__file__).resolve().parents[1] / "GitLabOIDCAWSTestSupport" / "TokenFixtures.swift"


def fixtures() -> tuple[KeySet, dict[str, str]]:
    text = SOURCE.read_text()
    tokens = dict(re.findall(r'public static let (\w+) = "([^"]*)"', text))
    key_set = KeySet.import_key_set(json.loads(re.search(r'public static let keySet = #"(.*)"#', text).group(1)))
    return key_set, tokens


@pytest.mark.parametrize("name,claims", [
    ("main", {"project_path": "group/project", "ref": "main", "ref_protected": "true", "environment": "production"}),
    ("feature", {"ref": "feature/x", "ref_protected": "false"}),
    ("otherProject", {"project_path": "other/project", "project_id": "43", "namespace_id": "8"}),
    ("mergeRequest", {"pipeline_source": "merge_request_event"}),
    ("oddClaims", {"ref": "feat/ünï côde*[x]#1", "environment": "prod env/β"}),
    ("wrongAudience", {"aud": "https://gitlab.example.com"}),
])
def test_each_fixture_verifies_and_holds_its_claims(name, claims):
    key_set, tokens = fixtures()
    payload = jwt.decode(tokens[name], key_set, algorithms=["RS256"]).claims
    for claim, value in claims.items():
        assert payload[claim] == value, (name, claim)
    assert payload["iss"] == swift_fixtures.ISSUER
    assert payload["iat"] == swift_fixtures.ISSUED_AT
    assert payload["exp"] == swift_fixtures.ISSUED_AT + swift_fixtures.LIFETIME
    assert payload["job_id"] == "1001"


@pytest.mark.parametrize("name", ["unknownKey", "badSignature"])
def test_the_forged_fixtures_do_not_verify(name):
    key_set, tokens = fixtures()
    with pytest.raises((BadSignatureError, InvalidKeyIdError)):
        jwt.decode(tokens[name], key_set, algorithms=["RS256"])
