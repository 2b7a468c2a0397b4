"""Self-tests of the harness: each fixture does what the hook tests rely on.

They run without the hook binary, so a broken harness is told apart from a broken hook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
from joserfc import jwt
from joserfc.jwk import KeySet

from testkit import tokens
from testkit.env import aws_cli
from testkit.hook import EnvFile, assert_credentials_appended, assert_no_secrets
from testkit.issuer import DISCOVERY_PATH, JWKS_PATH
from testkit.keys import b64url_decode
from testkit.mapping import mapping_toml
from testkit.net import http_get, http_post
from testkit.sts_double import Fault, TrustPolicy, iam_like

NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
ROLE = "arn:aws:iam::111122223333:role/path/deploy"
HASHES = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}


def jwks_verify(token: str, jwks: dict) -> dict:
    """Verify an RS* token against a JWKS with `cryptography`; returns the payload."""
    h, p, s = token.split(".")
    header = json.loads(b64url_decode(h))
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    pub = RSAPublicNumbers(int.from_bytes(b64url_decode(jwk["e"]), "big"),
                           int.from_bytes(b64url_decode(jwk["n"]), "big")).public_key()
    pub.verify(b64url_decode(s), f"{h}.{p}".encode(), padding.PKCS1v15(), HASHES[header["alg"]])
    return json.loads(b64url_decode(p))


def assume_form(token: str, **extra) -> bytes:
    fields = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": ROLE,
              "RoleSessionName": "gitlab-42-1001", "WebIdentityToken": token, **extra}
    return urllib.parse.urlencode(fields).encode()


def post(sts, body: bytes):
    return http_post(sts.url + "/", body, {"Content-Type": "application/x-www-form-urlencoded"})


def aws(env, *args, check=True):
    proc = subprocess.run([aws_cli(), *args, "--output", "json"], env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


# --- issuer ------------------------------------------------------------------------------


def test_issuer_serves_discovery_and_jwks(issuer):
    status, body = http_get(issuer.url + DISCOVERY_PATH)
    assert status == 200
    doc = json.loads(body)
    assert doc["issuer"] == issuer.url and issuer.url.startswith("http://127.0.0.1:")
    assert doc["jwks_uri"] == issuer.url + "/oauth/discovery/keys"
    status, body = http_get(doc["jwks_uri"])
    keys = json.loads(body)["keys"]
    assert status == 200 and len(keys) == 1
    assert {k: keys[0][k] for k in ("kty", "use", "alg", "kid")} == \
        {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": issuer.key.kid}
    assert int.from_bytes(b64url_decode(keys[0]["n"]), "big").bit_length() == 2048
    assert issuer.discovery_count == 1 and issuer.jwks_count == 1 and issuer.count() == 2


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_minted_token_verifies_independently(issuer, alg):
    token = issuer.mint(alg=alg)
    jwks = json.loads(http_get(issuer.jwks_url)[1])
    claims = jwks_verify(token, jwks)
    # A second, unrelated verifier (joserfc) reads the same JWKS (minus "alg": RS256, which
    # joserfc would hold against RS384/RS512 tokens made with the same key).
    plain = {"keys": [{k: v for k, v in key.items() if k != "alg"} for key in jwks["keys"]]}
    decoded = jwt.decode(token, KeySet.import_key_set(plain), algorithms=[alg])
    assert decoded.claims == claims


def test_minted_claims_have_gitlab_shape(issuer):
    now = int(time.time())
    header, c = tokens.decode_unverified(issuer.mint(project_path="a/b/c", ref="v1", ref_type="tag",
                                                     environment="production"))
    assert header == {"kid": issuer.key.kid, "typ": "JWT", "alg": "RS256"}
    assert c["iss"] == issuer.url and c["aud"] == "sts.amazonaws.com"
    assert c["sub"] == "project_path:a/b/c:ref_type:tag:ref:v1"
    assert c["namespace_path"] == "a/b" and c["ref_path"] == "refs/tags/v1"
    assert abs(c["exp"] - (now + 300)) <= 2 and c["nbf"] == c["iat"] - 5
    for k in ("exp", "nbf", "iat", "runner_id"):
        assert isinstance(c[k], int), k
    for k in set(c) - {"exp", "nbf", "iat", "runner_id"}:
        assert isinstance(c[k], str), k
    assert c["ref_protected"] == "true" and c["environment_protected"] == "false"
    assert {"environment", "deployment_tier", "environment_action"} <= set(c)
    assert "environment" not in tokens.decode_unverified(issuer.mint())[1]
    assert "jti" not in tokens.decode_unverified(issuer.mint(jti=tokens.OMIT))[1]
    assert tokens.decode_unverified(issuer.mint(ref_protected=False))[1]["ref_protected"] == "false"


def test_hostile_tokens(issuer):
    jwks = issuer.jwks()
    good = issuer.mint()
    claims = issuer.claims()
    none = tokens.alg_none(claims)
    assert tokens.decode_unverified(none)[0]["alg"] == "none" and none.endswith(".")
    hs = tokens.hs256_with_public_key(claims, issuer.key)
    h, p, s = hs.split(".")
    assert hmac.compare_digest(b64url_decode(s), hmac.new(issuer.key.public_pem(), f"{h}.{p}".encode(),
                                                          hashlib.sha256).digest())
    for broken in (tokens.tampered_payload(good, project_path="platform/infra"), tokens.bad_signature(good)):
        with pytest.raises(InvalidSignature):
            jwks_verify(broken, jwks)
    assert tokens.decode_unverified(tokens.tampered_payload(good, sub="x"))[1]["sub"] == "x"
    unknown = issuer.mint(header_overrides={"kid": "no-such-kid"})
    assert all(k["kid"] != "no-such-kid" for k in jwks["keys"])
    assert tokens.decode_unverified(unknown)[0]["kid"] == "no-such-kid"
    big = tokens.oversized(claims, issuer.key)
    assert len(big) > 20000 and jwks_verify(big, jwks)["iss"] == issuer.url
    for kind in ("base64", "json", "segments", "garbage", "empty_parts"):
        with pytest.raises(Exception):
            tokens.decode_unverified(tokens.malformed(kind))


def test_issuer_controls(issuer):
    old = issuer.key
    new = issuer.rotate()
    assert new.kid != old.kid and [k["kid"] for k in issuer.jwks()["keys"]] == [new.kid]
    assert tokens.decode_unverified(issuer.mint())[0]["kid"] == new.kid
    issuer.rotate(keep_old=True)
    assert len(json.loads(http_get(issuer.jwks_url)[1])["keys"]) == 2
    issuer.set_jwks({"keys": []})
    assert json.loads(http_get(issuer.jwks_url)[1]) == {"keys": []}
    issuer.set_jwks(None)
    issuer.fail(500, path=JWKS_PATH, times=1)
    assert http_get(issuer.jwks_url)[0] == 500
    assert http_get(issuer.jwks_url)[0] == 200
    issuer.fail(503)
    assert http_get(issuer.url + DISCOVERY_PATH)[0] == 503
    issuer.recover()
    assert http_get(issuer.url + DISCOVERY_PATH)[0] == 200
    port = issuer.port
    issuer.stop()
    with pytest.raises(OSError):
        http_get(issuer.jwks_url, timeout=2)
    issuer.start()
    assert issuer.port == port and http_get(issuer.jwks_url)[0] == 200
    issuer.delay = 0.3
    t = time.monotonic()
    http_get(issuer.jwks_url)
    assert time.monotonic() - t >= 0.3


# --- STS double --------------------------------------------------------------------------


def test_sts_double_success_document(sts, issuer):
    token = issuer.mint()
    status, headers, body = post(sts, assume_form(token, DurationSeconds="1800",
                                                  **{"PolicyArns.member.2.arn": "arn:b",
                                                     "PolicyArns.member.1.arn": "arn:a"}))
    assert status == 200 and headers["Content-Type"] == "text/xml"
    root = ET.fromstring(body)
    assert root.tag == "{%s}AssumeRoleWithWebIdentityResponse" % NS["sts"]
    r = root.find("sts:AssumeRoleWithWebIdentityResult", NS)
    creds = {e.tag.split("}")[1]: e.text for e in r.find("sts:Credentials", NS)}
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    expiry = time.mktime(time.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(expiry - (time.time() + 1800)) < 5
    assert r.find("sts:AssumedRoleUser/sts:Arn", NS).text == \
        "arn:aws:sts::111122223333:assumed-role/deploy/gitlab-42-1001"
    assert r.find("sts:SubjectFromWebIdentityToken", NS).text == tokens.decode_unverified(token)[1]["sub"]
    assert r.find("sts:Audience", NS).text == "sts.amazonaws.com"
    assert root.find("sts:ResponseMetadata/sts:RequestId", NS).text
    (req,) = sts.assume_requests
    assert req.form["RoleArn"] == ROLE and req.token == token and req.policy_arns == ["arn:a", "arn:b"]
    assert req.claims["project_path"] == "group/project"
    assert sts.secrets() == [creds["SecretAccessKey"], creds["SessionToken"]]


@pytest.mark.parametrize("code,status", [("AccessDenied", 403), ("Throttling", 400),
                                         ("ValidationError", 400), ("InvalidIdentityToken", 400),
                                         ("ExpiredTokenException", 400),
                                         ("MalformedPolicyDocument", 400)])
def test_sts_double_error_documents(sts, code, status):
    sts.error(code, message="custom message")
    got, _, body = post(sts, assume_form("a.b.c"))
    root = ET.fromstring(body)
    assert got == status and root.tag == "{%s}ErrorResponse" % NS["sts"]
    assert root.find("sts:Error/sts:Code", NS).text == code
    assert root.find("sts:Error/sts:Type", NS).text == "Sender"
    assert root.find("sts:Error/sts:Message", NS).text == "custom message"
    assert root.find("sts:RequestId", NS).text
    assert post(sts, assume_form("a.b.c"))[0] == 200


def test_sts_double_fault_sequence(sts):
    sts.throttle(times=2)
    sts.server_error(times=1, status=503)
    codes = [post(sts, assume_form("tok1"))[0] for _ in range(4)]
    assert codes == [400, 400, 503, 200]
    sts.server_error(times=None)
    assert [post(sts, assume_form("tok1"))[0] for _ in range(3)] == [500] * 3
    sts.clear_faults()
    assert post(sts, assume_form("tok1"))[0] == 200
    assert sts.assume_count == 8


def test_sts_double_broken_answers(sts):
    sts.fault(Fault.reset())
    with pytest.raises(ConnectionResetError):
        post(sts, assume_form("tok1"))
    sts.fault(Fault.malformed_xml())
    status, _, body = post(sts, assume_form("tok1"))
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    sts.fault(Fault.truncated_xml())
    status, _, body = post(sts, assume_form("tok1"))
    assert status == 200 and b"</AssumeRoleWithWebIdentityResponse>" not in body
    sts.fault(Fault.truncated_xml(short_transfer=True))
    with pytest.raises(Exception):
        post(sts, assume_form("tok1"))
    sts.fault(Fault.html_500())
    status, headers, body = post(sts, assume_form("tok1"))
    assert status == 500 and body.startswith(b"<!doctype html>") and "text/html" in headers["Content-Type"]
    sts.fault(Fault.oversized(2 * 1024 * 1024))
    status, _, body = post(sts, assume_form("tok1"))
    assert status == 200 and len(body) >= 2 * 1024 * 1024
    ET.fromstring(body)
    sts.fault(Fault.ok(omit=["SessionToken"]))
    assert b"SessionToken" not in post(sts, assume_form("tok1"))[2]
    sts.slow(0.5)
    t = time.monotonic()
    assert post(sts, assume_form("tok1"))[0] == 200 and time.monotonic() - t >= 0.5


def test_sts_double_lifetime_and_validation(sts):
    sts.credential_lifetime = 5
    sts.fractional_expiration = True
    body = post(sts, assume_form("tok1", DurationSeconds="3600"))[2]
    exp = ET.fromstring(body).find(".//sts:Expiration", NS).text
    assert exp.endswith("Z") and "." in exp
    assert abs(sts.issued[-1].expiration - time.time() - 5) < 2
    for bad in ({"RoleSessionName": "has space"}, {"RoleSessionName": "x"},
                {"DurationSeconds": "60"}, {"WebIdentityToken": "x" * 20001}):
        status, _, body = post(sts, assume_form("tok1", **bad))
        assert status == 400 and b"ValidationError" in body, bad
    status, _, body = post(sts, assume_form("tok1", Policy="{not json"))
    assert status == 400 and b"MalformedPolicyDocument" in body


def test_iam_string_like():
    assert iam_like("project_path:group/*:ref_type:branch:ref:main",
                    "project_path:group/sub/project:ref_type:branch:ref:main")
    assert iam_like("a?c", "abc") and not iam_like("a?c", "abbc")
    assert not iam_like("project_path:group/project:*", "project_path:other/project:x")
    assert iam_like("a.b", "a.b") and not iam_like("a.b", "axb")
    assert iam_like("a${*}b${?}c${$}", "a*b?c$") and not iam_like("a${*}b", "axxb")


def test_sts_double_trust_policy(sts, issuer):
    sts.trust_sub("project_path:group/*:ref_type:branch:ref:main", role=ROLE)
    assert post(sts, assume_form(issuer.mint()))[0] == 200
    status, _, body = post(sts, assume_form(issuer.mint(ref="feature")))
    assert status == 403 and b"AccessDenied" in body
    other_role = assume_form(issuer.mint(ref="feature")).replace(b"path%2Fdeploy", b"other")
    assert post(sts, other_role)[0] == 200


def whole_policy(issuer, subs, aud="sts.amazonaws.com"):
    host = issuer.url.split("://", 1)[1]
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{host}"},
        "Condition": {"StringEquals": {f"{host}:aud": aud}, "StringLike": {f"{host}:sub": subs}}}]}


def test_sts_double_whole_trust_policy(sts, issuer):
    sts.trust_policy(whole_policy(issuer, ["project_path:group/*:ref_type:branch:ref:main", "x"]), role=ROLE)
    assert post(sts, assume_form(issuer.mint(project_path="group/a/b")))[0] == 200
    for refused in (issuer.mint(ref="dev"), issuer.mint(aud="other"), issuer.mint(iss="https://other.example")):
        status, _, body = post(sts, assume_form(refused))
        assert status == 403 and b"AccessDenied" in body
    other_role = assume_form(issuer.mint(ref="dev")).replace(b"path%2Fdeploy", b"other")
    assert post(sts, other_role)[0] == 200


def test_sts_double_refuses_policies_it_does_not_model(issuer):
    policy = whole_policy(issuer, "*")
    policy["Statement"][0]["Condition"]["StringEquals"]["gitlab.example.com:environment"] = "x"
    with pytest.raises(ValueError):
        TrustPolicy(policy)
    policy = whole_policy(issuer, "*")
    policy["Statement"][0]["Condition"]["ForAnyValue:StringLike"] = {}
    with pytest.raises(ValueError):
        TrustPolicy(policy)


def test_aws_cli_against_sts_double(sts, issuer, base_env):
    """The real AWS CLI can assume a role at the double and call GetCallerIdentity."""
    out = json.loads(aws(base_env, "sts", "assume-role-with-web-identity", "--endpoint-url", sts.url,
                         "--region", "us-east-1", "--role-arn", ROLE, "--role-session-name", "s-1",
                         "--web-identity-token", issuer.mint()).stdout)
    c = out["Credentials"]
    env = dict(base_env, AWS_ACCESS_KEY_ID=c["AccessKeyId"], AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"],
               AWS_SESSION_TOKEN=c["SessionToken"], AWS_DEFAULT_REGION="us-east-1")
    ident = json.loads(aws(env, "sts", "get-caller-identity", "--endpoint-url", sts.url).stdout)
    assert ident["Arn"] == "arn:aws:sts::111122223333:assumed-role/deploy/s-1"
    env["AWS_SESSION_TOKEN"] = "wrong"
    proc = aws(env, "sts", "get-caller-identity", "--endpoint-url", sts.url, check=False)
    assert proc.returncode != 0 and "InvalidClientTokenId" in proc.stderr


def test_aws_cli_against_moto(moto_sts, issuer, base_env):
    out = json.loads(aws(base_env, "sts", "assume-role-with-web-identity", "--endpoint-url", moto_sts.url,
                         "--region", "us-east-1", "--role-arn", ROLE, "--role-session-name", "s-2",
                         "--web-identity-token", issuer.mint()).stdout)
    c = out["Credentials"]
    env = dict(base_env, AWS_ACCESS_KEY_ID=c["AccessKeyId"], AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"],
               AWS_SESSION_TOKEN=c["SessionToken"], AWS_DEFAULT_REGION="us-east-1")
    ident = json.loads(aws(env, "sts", "get-caller-identity", "--endpoint-url", moto_sts.url).stdout)
    assert ident["Arn"] == "arn:aws:sts::111122223333:assumed-role/deploy/s-2"


# --- runner stage ------------------------------------------------------------------------

TRIVIAL_PRE = 'echo "FOO=bar baz" >> "$GITLAB_ENV"\nwhile read -r line; do export "$line"; done < "$GITLAB_ENV"'


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_stage_env_file_flows_to_later_stages(job, shell):
    r = job.step_script(['echo "script sees FOO=$FOO"'], TRIVIAL_PRE, shell=shell)
    assert r.returncode == 0, r.output
    assert "script sees FOO=bar baz" in r.stdout
    assert job.env_file.read_bytes() == b"FOO=bar baz\n"
    r = job.after_script(['echo "after sees FOO=$FOO"'], shell=shell)
    assert r.returncode == 0 and "after sees FOO=bar baz" in r.stdout
    assert "bar baz" not in r.script, "the value can only come from the env file"


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_stage_errexit_stdin_and_options(job, shell):
    r = job.step_script(["echo not reached"], "false", shell=shell)
    assert r.returncode == 1 and "not reached" not in r.stdout.replace("$ echo not reached", "")
    r = job.step_script(["test -t 0 || echo no-tty; cat; echo read-done", "set -o"], shell=shell)
    assert r.returncode == 0 and "no-tty" in r.stdout and "read-done" in r.stdout
    opts = r.stdout.split("set -o", 1)[1]
    assert "errexit" in opts and "noclobber" in opts
    if shell == "bash":
        assert any(line.startswith("pipefail") and line.endswith("on") for line in opts.splitlines())


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_stage_variables_quoting_and_precedence(job, shell):
    weird = "a'b\"c $x `y` \\z\n2nd line é"
    job.variables.update(WEIRD=weird, CI_PROJECT_PATH="other/project", GITLAB_ENV="/nowhere")
    r = job.step_script(['printf "[%s]" "$WEIRD"', 'echo "path=$CI_PROJECT_PATH env=$GITLAB_ENV"'],
                        shell=shell)
    assert r.returncode == 0, r.output
    assert f"[{weird}]" in r.stdout
    assert f"path=other/project env={job.env_file}" in r.stdout


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_stage_debug_trace(job, shell):
    job.variables["CI_DEBUG_TRACE"] = "true"
    r = job.step_script(["echo traced-command"], shell=shell)
    assert r.returncode == 0 and "+ echo traced-command" in r.stderr


def test_stage_login_shell_with_job_path(job, base_env):
    job.variables["PATH"] = base_env["PATH"]
    r = job.step_script(["command -v aws"], login=True)
    assert r.returncode == 0 and r.stdout.strip().endswith("/aws")


# --- assertion helpers -------------------------------------------------------------------


def test_credentials_appended_helper():
    good = ("AWS_ACCESS_KEY_ID=ASIA1\nAWS_SECRET_ACCESS_KEY=s/e+c=\nAWS_SESSION_TOKEN=t\n"
            "AWS_CREDENTIAL_EXPIRATION=2999-01-01T00:00:00Z\nAWS_REGION=us-east-1\n"
            "AWS_DEFAULT_REGION=us-east-1\nGITLAB_OIDC_AWS_ROLE_ARN=arn:aws:iam::1:role/r\n").encode()
    assert assert_credentials_appended(b"A=1\n", b"A=1\n" + good)["AWS_SECRET_ACCESS_KEY"] == "s/e+c="
    assert assert_credentials_appended(b"A=1", b"A=1\n" + good)
    for before, after in ((b"A=1", b"A=1" + good), (b"A=1\n", b"A=2\n" + good),
                          (b"", good.replace(b"AWS_REGION=us-east-1\n", b"")),
                          (b"", good[:-1]), (b"", good + b"not a line\n")):
        with pytest.raises(AssertionError):
            assert_credentials_appended(before, after)
    with pytest.raises(AssertionError):
        assert_no_secrets("here is s3cr3t-value", secrets=["s3cr3t-value"])
    assert_no_secrets("nothing", token="aaa.bbb.cccccccccccccccccccccccccc", secrets=["x1"])


def test_mapping_toml_and_env_file(tmp_path):
    import tomllib

    text = mapping_toml(issuer="http://127.0.0.1:1", sts_endpoint="http://127.0.0.1:2", cache_dir=tmp_path,
                        on_no_match="fail", rules=[{"role": "arn:r", "duration": 900,
                                                    "match": {"project_path": ["a", "b/**"], "ref_protected": True}}])
    doc = tomllib.loads(text)
    assert doc["rule"][0]["match"] == {"project_path": ["a", "b/**"], "ref_protected": True}
    assert doc["on_no_match"] == "fail" and doc["cache_dir"] == str(tmp_path)
    f = EnvFile(tmp_path / "x" / "env")
    assert f.snapshot() is None
    f.write("A=1\nB=x=y")
    assert f.values() == {"A": "1", "B": "x=y"}
