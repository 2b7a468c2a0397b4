"""The library's AWS wire code (`aws-wire-probe`: SigV4, STS AssumeRole, IAM GetRole, session
tags) against implementations it shares nothing with: the STS double, which verifies SigV4
with botocore and enforces chained trust and tag rules; moto's STS and IAM; Python's own
reading of AWS's tag rules."""

from __future__ import annotations

import json
import random
import time
import unicodedata
import urllib.parse

import pytest

from testkit.aws_clients import aws
from testkit.boto import boto_client, isolate_process_env
from testkit.net import http_post
from testkit.sts_double import tag_character_allowed, tag_problem
from testkit.wire_probe import WireProbe, find_probe

ENTRY = "arn:aws:iam::111122223333:role/gitlab/entry"
TARGET = "arn:aws:iam::222233334444:role/deploy"
MOTO_ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def probe_path(binary):
    return find_probe(binary)


@pytest.fixture
def probe(probe_path, base_env) -> WireProbe:
    return WireProbe(probe_path, env=base_env)


@pytest.fixture(autouse=True)
def clean_aws_env(tmp_path, monkeypatch):
    isolate_process_env(monkeypatch, tmp_path)


def first_hop(url: str, issuer, role: str = ENTRY) -> dict:
    return boto_client("sts", url).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="gitlab-42-1001", WebIdentityToken=issuer.mint())["Credentials"]


def probe_input(url: str, creds: dict, request: dict, **extra) -> dict:
    return {"endpoint": url + "/", "region": extra.pop("region", "eu-west-1"),
            "access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"], "request": request, **extra}


def secrets_of(creds: dict) -> list[str]:
    return [creds["SecretAccessKey"], creds["SessionToken"]]


def assert_no_secret(result, *secrets: str) -> None:
    text = result.stderr + json.dumps(result.output)
    for secret in secrets:
        assert secret not in text


# --- the STS double verifies what the library signs ----------------------------------------


def test_a_chain_hop_signed_by_the_library_is_accepted(probe, sts, issuer):
    sts.signing_region = "eu-west-1"
    sts.trust_chain(TARGET, ENTRY, external_id="ext-7")
    hop1 = first_hop(sts.url, issuer)
    r = probe.call("assume-role", probe_input(sts.url, hop1, {
        "role_arn": TARGET, "session_name": "gitlab-42-1001", "duration": 3600, "external_id": "ext-7",
        "policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
        "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        "tags": [["project", "group/app"], ["ref", "feature 1+2"]], "transitive_tag_keys": ["project"]}, hop=2))
    assert r.returncode == 0, r.stderr
    out = r.output
    (req,) = sts.chain_requests
    issued = sts.issued[-1]
    assert req.status == 200 and req.caller is sts.issued[0]
    assert req.authorization["signed_headers"] == "accept;content-type;host;x-amz-date;x-amz-security-token"
    assert req.authorization["credential"].endswith("/eu-west-1/sts/aws4_request")
    assert req.tags == [("project", "group/app"), ("ref", "feature 1+2")] and req.transitive_tag_keys == ["project"]
    assert req.policy_arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"] and req.external_id == "ext-7"
    assert out["access_key_id"] == issued.access_key_id and out["session_token"] == issued.session_token
    assert out["assumed_role_arn"] == "arn:aws:sts::222233334444:assumed-role/deploy/gitlab-42-1001"
    assert out["account"] == "222233334444"
    assert abs(out["expiration"] - issued.expiration) < 1
    assert issued.secret_access_key not in out["description"]
    assert_no_secret(r, *secrets_of(hop1))


def test_a_request_signed_by_the_library_verifies_and_a_tampered_copy_does_not(probe, sts, issuer):
    hop1 = first_hop(sts.url, issuer)
    body = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": TARGET,
                                   "RoleSessionName": "hop-2"})
    base = {"method": "POST", "url": sts.url + "/", "body_hex": body.encode().hex(),
            "headers": [["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"]],
            "access_key": hop1["AccessKeyId"], "secret_key": hop1["SecretAccessKey"], "token": hop1["SessionToken"],
            "region": "us-east-1", "service": "sts", "time": int(time.time())}
    skewed = dict(base, time=int(time.time()) - 600)
    signed, old = probe.lines("sign", [base, skewed])

    def send(signature, data=body.encode(), change=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        headers.update({name: value for name, value in signature["headers_to_set"]})
        if change:
            change(headers)
        status, _, answer = http_post(sts.url + "/", data, headers)
        return status, answer

    assert send(signed)[0] == 200
    status, answer = send(signed, data=body.replace("hop-2", "hop-3").encode())
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    status, answer = send(signed, change=lambda h: h.update({"Content-Type": "application/json"}))
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    status, answer = send(signed, change=lambda h: h.update({"Host": "sts.amazonaws.com"}))
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    status, answer = send(signed, change=lambda h: h.pop("X-Amz-Security-Token"))
    assert status == 403 and b"<Code>InvalidClientTokenId</Code>" in answer
    status, answer = send(old)
    assert status == 403 and b"Signature expired" in answer


def test_a_refused_hop_names_the_hop_the_role_and_awss_words(probe, sts, issuer):
    sts.trust_chain(TARGET, "arn:aws:iam::111122223333:role/someone-else")
    hop1 = first_hop(sts.url, issuer)
    r = probe.call("assume-role", probe_input(sts.url, hop1, {"role_arn": TARGET, "session_name": "s-1"}, hop=2))
    assert r.returncode == 1 and r.output["code"] == "AccessDenied"
    assert r.output["error"].startswith(f"STS refused AssumeRole of {TARGET} (chain hop 2): AccessDenied: User: "
                                        f"arn:aws:sts::111122223333:assumed-role/entry/gitlab-42-1001 is not "
                                        f"authorized to perform: sts:AssumeRole on resource: {TARGET} (HTTP 403")
    assert "previous hop's role" in r.output["error"]
    assert len(sts.chain_requests) == 1
    assert_no_secret(r, *secrets_of(hop1))

    r = probe.call("assume-role", probe_input(sts.url, hop1, {"role_arn": "arn:aws:iam::333344445555:role/x",
                                                              "session_name": "s-1", "duration": 3601}, hop=2))
    assert r.returncode == 1 and r.output["code"] == "ValidationError"
    assert "1 hour session limit" in r.output["error"] and "at most 3600 for a chained role" in r.output["error"]


def test_the_library_retries_a_throttled_hop_and_signs_each_attempt(probe, sts, issuer):
    hop1 = first_hop(sts.url, issuer)
    sts.throttle(times=2, action="AssumeRole")
    r = probe.call("assume-role", probe_input(sts.url, hop1, {"role_arn": TARGET, "session_name": "s-1"},
                                              hop=2, max_attempts=3))
    assert r.returncode == 0, r.stderr
    assert [q.status for q in sts.chain_requests] == [400, 400, 200]
    assert r.stderr.count("STS AssumeRole (chain hop 2): attempt") == 3
    assert "Throttling" in r.stderr and "attempt 3 of 3 succeeded" in r.stderr
    assert_no_secret(r, *secrets_of(hop1))


def test_expired_previous_credentials_are_reported(probe, sts, issuer):
    hop1 = first_hop(sts.url, issuer)
    sts.issued[0].expiration = time.time() - 1
    r = probe.call("assume-role", probe_input(sts.url, hop1, {"role_arn": TARGET, "session_name": "s-1"}, hop=2))
    assert r.returncode == 1 and r.output["code"] == "ExpiredToken" and "clock" in r.output["error"]


# --- moto ---------------------------------------------------------------------------------


def test_motos_sts_accepts_a_chain_hop_signed_by_the_library(probe, moto_sts, issuer, base_env):
    hop1 = first_hop(moto_sts.url, issuer)
    r = probe.call("assume-role", probe_input(moto_sts.url, hop1, {
        "role_arn": TARGET, "session_name": "gitlab-42-1001", "duration": 900, "external_id": "ext-1",
        "tags": [["project", "group/app"]], "transitive_tag_keys": ["project"]}, region="us-east-1", hop=2))
    assert r.returncode == 0, r.stderr
    out = r.output
    assert out["assumed_role_arn"] == "arn:aws:sts::222233334444:assumed-role/deploy/gitlab-42-1001"
    assert out["account"] == "222233334444"
    env = dict(base_env, AWS_ACCESS_KEY_ID=out["access_key_id"], AWS_SECRET_ACCESS_KEY=out["secret_access_key"],
               AWS_SESSION_TOKEN=out["session_token"], AWS_DEFAULT_REGION="us-east-1")
    who = aws(env, "sts", "get-caller-identity", "--endpoint-url", moto_sts.url, "--query", "Arn", "--output", "text")
    assert who.returncode == 0 and who.stdout.strip() == out["assumed_role_arn"]


TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "GitLab jobs", "Effect": "Allow",
         "Principal": {"Federated": f"arn:aws:iam::{MOTO_ACCOUNT}:oidc-provider/gitlab.example.com"},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"gitlab.example.com:aud": "sts.amazonaws.com"},
                       "StringLike": {"gitlab.example.com:sub": ["project_path:group/*:ref_type:branch:ref:main",
                                                                 "project_path:a+b/c d:ref_type:tag:ref:v%1&x=ü"]},
                       "ForAnyValue:StringLike": {"gitlab.example.com:sub": "project_path:x/*"}}},
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{MOTO_ACCOUNT}:role/gitlab/entry+1", "111122223333"]},
         "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Condition": {"StringEquals": {"sts:ExternalId": "x y+z/%"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
    ],
}


@pytest.mark.parametrize("indent", [None, 2])
def test_motos_iam_round_trips_a_trust_policy_through_the_library(probe, moto_sts, indent):
    name = f"deploy+prod-{indent}"
    iam = boto_client("iam", moto_sts.url)
    iam.create_role(RoleName=name, Path="/ci/", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY, indent=indent,
                                                                                      ensure_ascii=indent is None))
    role_arn = f"arn:aws:iam::{MOTO_ACCOUNT}:role/ci/{name}"
    r = probe.call("get-role", {"endpoint": moto_sts.url + "/", "region": "us-east-1", "access_key": "AKIDAUDITOR",
                                "secret_key": "auditor-secret", "role_arn": role_arn})
    assert r.returncode == 0, r.stderr
    out = r.output
    assert out["arn"] == role_arn and out["name"] == name and out["path"] == "/ci/"
    assert json.loads(out["trust_policy_text"]) == TRUST_POLICY
    assert out["version"] == "2012-10-17"
    web, chained, deny = out["statements"]
    assert web["sid"] == "GitLab jobs" and web["federated"] == [TRUST_POLICY["Statement"][0]["Principal"]["Federated"]]
    assert web["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert web["conditions"] == [
        ["StringEquals", "gitlab.example.com:aud", ["sts.amazonaws.com"]],
        ["StringLike", "gitlab.example.com:sub", TRUST_POLICY["Statement"][0]["Condition"]["StringLike"]["gitlab.example.com:sub"]],
        ["ForAnyValue:StringLike", "gitlab.example.com:sub", ["project_path:x/*"]],
    ]
    assert chained["aws"] == TRUST_POLICY["Statement"][1]["Principal"]["AWS"]
    assert chained["conditions"] == [["StringEquals", "sts:ExternalId", ["x y+z/%"]]]
    assert deny["effect"] == "Deny" and deny["anyone"] is True


def test_what_moto_encodes_is_what_botocore_decodes(moto_sts):
    """The decoding rule the library follows (percent escapes only; `+` is a plus sign) is
    botocore's: boto3 hands back the document it stored."""
    iam = boto_client("iam", moto_sts.url)
    text = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "a+b c"}, "Action": "x"}]})
    iam.create_role(RoleName="plus-and-space", AssumeRolePolicyDocument=text)
    assert iam.get_role(RoleName="plus-and-space")["Role"]["AssumeRolePolicyDocument"] == json.loads(text)


def test_missing_roles_and_other_accounts_are_typed_errors(probe, moto_sts):
    base = {"endpoint": moto_sts.url + "/", "region": "us-east-1", "access_key": "AKIDAUDITOR",
            "secret_key": "auditor-secret"}
    r = probe.call("get-role", dict(base, role_arn=f"arn:aws:iam::{MOTO_ACCOUNT}:role/not-there"))
    assert r.returncode == 1
    assert r.output["error"].startswith(f"role arn:aws:iam::{MOTO_ACCOUNT}:role/not-there does not exist in "
                                        f"account {MOTO_ACCOUNT}")
    boto_client("iam", moto_sts.url).create_role(RoleName="elsewhere", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    r = probe.call("get-role", dict(base, role_arn="arn:aws:iam::111122223333:role/elsewhere"))
    assert r.returncode == 1 and "another account than 111122223333" in r.output["error"]
    assert "auditor-secret" not in r.stderr + json.dumps(r.output)


# --- session tags ---------------------------------------------------------------------------

# Characters from every class AWS's rule names, and from outside it, all assigned long before
# either Unicode version in play here.
TAG_POOL = ("abcXYZ019 _.:/=+-@" "!#$%^&*()[]{}|\\'\"<>,;?`~" "\t\n\r\x01\x7f" "éüßñÆ" "αβΩ" "жЯ" "日本語漢字"
            "٣٤٥" "ⅫⅣ" "½¾" "\u00a0\u2003\u3000\u2028\u2029" "\u0301\u0308" "\u200b\ufeff" "😀🚀"
            "\U0001d400\U0001d41a" "\U00020000")


def python_sanitise(text: str, limit: int) -> str:
    out, units = [], 0
    for ch in text:
        kept = ch if tag_character_allowed(ch) else "-"
        units += len(kept.encode("utf-16-le")) // 2
        if units > limit:
            break
        out.append(kept)
    return "".join(out)


def test_sanitised_tags_are_what_aws_accepts(probe):
    rng = random.Random(16)
    inputs = [{"key": "".join(rng.choice(TAG_POOL) for _ in range(rng.randint(1, 200))),
               "value": "".join(rng.choice(TAG_POOL) for _ in range(rng.randint(0, 400)))} for _ in range(2000)]
    outputs = probe.lines("sanitise-tags", inputs)
    for given, got in zip(inputs, outputs):
        assert got["key"] == python_sanitise(given["key"], 128), given
        assert got["value"] == python_sanitise(given["value"], 256), given
        assert tag_problem([(got["key"], got["value"])], [], {}) is None, got
    assert sum(len(o["key"]) < len(i["key"]) for i, o in zip(inputs, outputs)) > 300  # cut to the limit
    assert sum(len(o["value"]) < len(i["value"]) for i, o in zip(inputs, outputs)) > 300
    assert sum(any(unicodedata.category(ch)[0] == "L" and ord(ch) > 127 for ch in o["value"]) for o in outputs) > 1000
