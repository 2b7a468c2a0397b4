"""Self-tests of the STS double's role chaining, with botocore/boto3 as the client (a signer
the hook does not share): AssumeRole verified like STS (signature, keys, tokens, expiry,
scope, skew), chained trust, external ids, the one-hour cap, tag rules with transitive tags,
faults per action, and GetCallerIdentity. They run without the hook binary."""

from __future__ import annotations

import datetime
import json
import time
import urllib.parse
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from testkit.boto import boto_client, isolate_process_env
from testkit.net import http_post
from testkit.sts_double import CHAINED_SESSION_LIMIT, TrustPolicy, tag_problem

ENTRY = "arn:aws:iam::111122223333:role/gitlab/entry"
TARGET = "arn:aws:iam::222233334444:role/deploy"
THIRD = "arn:aws:iam::333344445555:role/ops/admin"


@pytest.fixture(autouse=True)
def clean_aws_env(tmp_path, monkeypatch):
    isolate_process_env(monkeypatch, tmp_path)


def client(sts, creds: dict | None = None):
    return boto_client("sts", sts.url, creds)


def first_hop(sts, issuer, role: str = ENTRY, session: str = "gitlab-42-1001") -> dict:
    return client(sts).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName=session, WebIdentityToken=issuer.mint())["Credentials"]


def chain(sts, creds: dict, role: str = TARGET, **params) -> dict:
    return client(sts, creds).assume_role(RoleArn=role, RoleSessionName=params.pop("RoleSessionName", "hop"),
                                          **params)


def refused(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def signed_post(sts, creds: dict, body: str, *, service: str = "sts", region: str = "us-east-1",
                at: datetime.datetime | None = None, tamper=None) -> tuple[int, bytes]:
    """POST `body` signed by botocore with `creds` (at time `at`); `tamper(headers, body)` may
    change the request after signing."""
    request = AWSRequest(method="POST", url=sts.url + "/", data=body.encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    auth = SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken")),
                     service, region)
    moment = (at or datetime.datetime.now(datetime.timezone.utc)).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        auth.add_auth(request)
    headers = dict(request.headers.items())
    data = request.body
    if tamper:
        headers, data = tamper(headers, data)
    status, _, answer = http_post(sts.url + "/", data, headers)
    return status, answer


def assume_body(role: str = TARGET, **extra) -> str:
    return urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role,
                                   "RoleSessionName": "hop", **extra})


# --- the happy path ----------------------------------------------------------------------


def test_a_chain_of_three_hops_with_transitive_tags(sts, issuer):
    hop1 = first_hop(sts, issuer)
    out2 = chain(sts, hop1, TARGET, RoleSessionName="hop-2", DurationSeconds=900, ExternalId="ext-1",
                 Tags=[{"Key": "project", "Value": "group/app"}, {"Key": "ref", "Value": "main"}],
                 TransitiveTagKeys=["project"])
    assert out2["AssumedRoleUser"]["Arn"] == "arn:aws:sts::222233334444:assumed-role/deploy/hop-2"
    assert out2["PackedPolicySize"] > 0
    hop2 = out2["Credentials"]
    expiry = out2["Credentials"]["Expiration"].timestamp()
    assert abs(expiry - (time.time() + 900)) < 5
    out3 = chain(sts, hop2, THIRD, RoleSessionName="hop-3", Tags=[{"Key": "stage", "Value": "3"}])
    assert out3["AssumedRoleUser"]["Arn"] == "arn:aws:sts::333344445555:assumed-role/admin/hop-3"

    first, second, third = sts.issued
    assert third.chain == [first, second, third] and second.source is first
    assert second.action == "AssumeRole" and second.external_id == "ext-1" and second.duration == 900
    assert second.tags == {"project": "group/app", "ref": "main"} and second.transitive_tag_keys == ["project"]
    assert third.tags == {"project": "group/app", "stage": "3"} and third.transitive_tag_keys == ["project"]
    r2, r3 = sts.chain_requests
    assert r2.caller is first and r3.caller is second and r2.status == r3.status == 200
    assert r2.tags == [("project", "group/app"), ("ref", "main")] and r2.transitive_tag_keys == ["project"]
    assert r2.external_id == "ext-1" and r2.access_key == hop1["AccessKeyId"]
    assert r2.authorization["signed_headers"].split(";")[:2] == ["content-type", "host"]

    ident = client(sts, out3["Credentials"]).get_caller_identity()
    assert ident["Arn"] == third.assumed_role_arn and ident["Account"] == "333344445555"


def test_the_aws_cli_chains_at_the_double(sts, issuer, base_env):
    from testkit.aws_clients import aws

    hop1 = first_hop(sts, issuer)
    env = dict(base_env, AWS_ACCESS_KEY_ID=hop1["AccessKeyId"], AWS_SECRET_ACCESS_KEY=hop1["SecretAccessKey"],
               AWS_SESSION_TOKEN=hop1["SessionToken"], AWS_DEFAULT_REGION="eu-west-1")
    r = aws(env, "sts", "assume-role", "--endpoint-url", sts.url, "--role-arn", TARGET,
            "--role-session-name", "cli", "--tags", "Key=team,Value=platform", "--output", "json")
    assert r.returncode == 0, r.stderr
    creds = json.loads(r.stdout)["Credentials"]
    env.update(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
               AWS_SESSION_TOKEN=creds["SessionToken"])
    r = aws(env, "sts", "get-caller-identity", "--endpoint-url", sts.url, "--query", "Arn", "--output", "text")
    assert r.returncode == 0 and r.stdout.strip() == "arn:aws:sts::222233334444:assumed-role/deploy/cli"


# --- authentication ----------------------------------------------------------------------


def test_signatures_keys_tokens_and_expiry_are_checked(sts, issuer):
    hop1 = first_hop(sts, issuer)
    assert signed_post(sts, hop1, assume_body())[0] == 200
    cases = {
        "SignatureDoesNotMatch": dict(hop1, SecretAccessKey=hop1["SecretAccessKey"] + "x"),
        "InvalidClientTokenId": dict(hop1, AccessKeyId="ASIAUNKNOWNKEY000000"),
    }
    for code, creds in cases.items():
        status, body = signed_post(sts, creds, assume_body())
        assert (status, code.encode() in body) == (403, True), body
    status, body = signed_post(sts, dict(hop1, SessionToken="forged"), assume_body())
    assert status == 403 and b"InvalidClientTokenId" in body
    status, body = signed_post(sts, {k: v for k, v in hop1.items() if k != "SessionToken"}, assume_body())
    assert status == 403 and b"InvalidClientTokenId" in body

    sts.issued[0].expiration = time.time() - 1
    status, body = signed_post(sts, hop1, assume_body())
    assert status == 400 and b"<Code>ExpiredToken</Code>" in body


@pytest.mark.parametrize("tamper,code", [
    (lambda h, b: (h, b.replace(b"RoleSessionName=hop", b"RoleSessionName=hoq")), "SignatureDoesNotMatch"),
    (lambda h, b: ({**h, "Content-Type": "text/plain"}, b), "SignatureDoesNotMatch"),
    (lambda h, b: ({**h, "X-Amz-Date": "20200101T000000Z"}, b), "SignatureDoesNotMatch"),
    (lambda h, b: ({k: v for k, v in h.items() if k != "Authorization"}, b), "MissingAuthenticationToken"),
    (lambda h, b: ({**h, "Authorization": h["Authorization"].split(", Signature=")[0]}, b), "IncompleteSignature"),
    (lambda h, b: ({k: v for k, v in h.items() if k != "X-Amz-Date"}, b), "IncompleteSignature"),
    (lambda h, b: ({**h, "Authorization": "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=0"}, b),
     "IncompleteSignature"),
])
def test_a_tampered_request_is_refused(sts, issuer, tamper, code):
    hop1 = first_hop(sts, issuer)
    status, body = signed_post(sts, hop1, assume_body(), tamper=tamper)
    assert f"<Code>{code}</Code>".encode() in body, body
    assert status in (400, 403) and sts.chain_requests[-1].error_code == code


def test_time_scope_and_region_are_checked(sts, issuer):
    hop1 = first_hop(sts, issuer)
    now = datetime.datetime.now(datetime.timezone.utc)
    for at, fragment in ((now - datetime.timedelta(minutes=6), b"Signature expired"),
                         (now + datetime.timedelta(minutes=6), b"Signature not yet current")):
        status, body = signed_post(sts, hop1, assume_body(), at=at)
        assert status == 403 and b"SignatureDoesNotMatch" in body and fragment in body
    assert signed_post(sts, hop1, assume_body(), at=now - datetime.timedelta(minutes=4))[0] == 200
    status, body = signed_post(sts, hop1, assume_body(), service="iam")
    assert status == 403 and b"correct service" in body
    sts.signing_region = "eu-west-1"
    status, body = signed_post(sts, hop1, assume_body(), region="us-east-1")
    assert status == 403 and b"valid region" in body
    assert signed_post(sts, hop1, assume_body(), region="eu-west-1")[0] == 200


# --- parameters --------------------------------------------------------------------------


def test_a_chained_session_is_capped_at_one_hour(sts, issuer):
    hop1 = first_hop(sts, issuer)
    code, message = refused(lambda: chain(sts, hop1, DurationSeconds=CHAINED_SESSION_LIMIT + 1))
    assert code == "ValidationError" and "1 hour session limit for roles assumed by role chaining" in message
    assert chain(sts, hop1, DurationSeconds=3600)["Credentials"]
    code, message = refused(lambda: chain(sts, hop1, DurationSeconds=899))
    assert code == "ValidationError"


@pytest.mark.parametrize("params,fragment", [
    ({"RoleSessionName": "has space"}, "roleSessionName"),
    ({"ExternalId": "x"}, "externalId"),
    ({"ExternalId": "has space"}, "externalId"),
    ({"Policy": "{not json"}, "valid JSON"),
    ({"PolicyArns": [{"arn": f"arn:aws:iam::aws:policy/p{n}"} for n in range(11)]}, "policyArns"),
    ({"Tags": [{"Key": f"k{n}", "Value": "v"} for n in range(51)]}, "'tags'"),
    ({"Tags": [{"Key": "k" * 129, "Value": "v"}]}, "tags.1.member.key"),
    ({"Tags": [{"Key": "k", "Value": "v" * 257}]}, "tags.1.member.value"),
    ({"Tags": [{"Key": "bad!", "Value": "v"}]}, "regular expression"),
    ({"Tags": [{"Key": "k", "Value": "emoji 🚀"}]}, "regular expression"),
    ({"Tags": [{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}]}, "case insensitive"),
    ({"Tags": [{"Key": "a", "Value": "1"}], "TransitiveTagKeys": ["b"]}, "not among the session tags"),
])
def test_parameters_and_tags_are_validated_like_sts(sts, issuer, params, fragment):
    hop1 = first_hop(sts, issuer)
    code, message = refused(lambda: chain(sts, hop1, **params))
    assert code in ("ValidationError", "MalformedPolicyDocument") and fragment in message, message


def test_the_most_tags_aws_allows_pass(sts, issuer):
    hop1 = first_hop(sts, issuer)
    tags = [{"Key": f"k{n:02d}" + "é" * 125, "Value": "ü日 _.:/=+-@" * 23 + "abc"} for n in range(50)]
    assert len(tags[0]["Key"]) == 128 and len(tags[0]["Value"]) == 256
    chain(sts, hop1, Tags=tags, TransitiveTagKeys=[t["Key"] for t in tags])
    assert len(sts.issued[-1].tags) == 50


def test_incoming_transitive_tags_cannot_be_overridden(sts, issuer):
    hop1 = first_hop(sts, issuer)
    hop2 = chain(sts, hop1, Tags=[{"Key": "Project", "Value": "a"}], TransitiveTagKeys=["Project"])["Credentials"]
    code, message = refused(lambda: chain(sts, hop2, THIRD, Tags=[{"Key": "project", "Value": "b"}]))
    assert code == "ValidationError" and "cannot be overridden" in message
    chain(sts, hop2, THIRD, Tags=[{"Key": "other", "Value": "b"}])
    assert sts.issued[-1].tags == {"Project": "a", "other": "b"}


def test_the_tag_rules_alone():
    assert tag_problem([], [], {}) is None
    assert tag_problem([("k", "")], ["K"], {}) is None  # transitive keys are case-insensitive
    assert "length" in tag_problem([("", "v")], [], {})
    assert "cannot be overridden" in tag_problem([("A", "1")], [], {"a": "0"})


# --- trust -------------------------------------------------------------------------------


def test_chained_trust_names_who_may_assume_whom(sts, issuer):
    sts.trust_chain(TARGET, [ENTRY])
    hop1 = first_hop(sts, issuer)
    chain(sts, hop1)
    other = first_hop(sts, issuer, role="arn:aws:iam::111122223333:role/other")
    code, message = refused(lambda: chain(sts, other))
    assert code == "AccessDenied"
    assert message == ("User: arn:aws:sts::111122223333:assumed-role/other/gitlab-42-1001 is not authorized "
                       f"to perform: sts:AssumeRole on resource: {TARGET}")
    assert sts.chain_requests[-1].status == 403


def test_tags_need_sts_tag_session_in_the_trust_policy(sts, issuer):
    sts.trust_chain(TARGET, ENTRY, tag_session=False)
    hop1 = first_hop(sts, issuer)
    chain(sts, hop1)
    code, message = refused(lambda: chain(sts, hop1, Tags=[{"Key": "a", "Value": "b"}]))
    assert code == "AccessDenied" and "sts:TagSession" in message


def test_incoming_transitive_tags_need_sts_tag_session_too(sts, issuer):
    sts.trust_chain(THIRD, TARGET, tag_session=False)
    hop1 = first_hop(sts, issuer)
    plain = chain(sts, hop1)["Credentials"]
    chain(sts, plain, THIRD)
    tagged = chain(sts, hop1, Tags=[{"Key": "a", "Value": "b"}], TransitiveTagKeys=["a"])["Credentials"]
    code, message = refused(lambda: chain(sts, tagged, THIRD))
    assert code == "AccessDenied" and "sts:TagSession" in message


def test_external_ids_are_required_and_compared(sts, issuer):
    sts.trust_chain(TARGET, ENTRY, external_id="the-id")
    hop1 = first_hop(sts, issuer)
    assert refused(lambda: chain(sts, hop1))[0] == "AccessDenied"
    assert refused(lambda: chain(sts, hop1, ExternalId="other-id"))[0] == "AccessDenied"
    chain(sts, hop1, ExternalId="the-id")


def test_a_whole_trust_policy_for_chaining(sts, issuer):
    sts.trust_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Condition": {"StringLike": {"aws:RequestTag/project": "group/*", "sts:RoleSessionName": "gitlab-*"}}},
    ]}, role=TARGET)
    hop1 = first_hop(sts, issuer)
    chain(sts, hop1, RoleSessionName="gitlab-1", Tags=[{"Key": "project", "Value": "group/app"}])
    for params in ({"RoleSessionName": "gitlab-1", "Tags": [{"Key": "project", "Value": "other/app"}]},
                   {"RoleSessionName": "other", "Tags": [{"Key": "project", "Value": "group/app"}]},
                   {"RoleSessionName": "gitlab-1"}):
        assert refused(lambda: chain(sts, hop1, **params))[0] == "AccessDenied", params
    outsider = first_hop(sts, issuer, role="arn:aws:iam::999988887777:role/x")
    assert refused(lambda: chain(sts, outsider, RoleSessionName="gitlab-1",
                                 Tags=[{"Key": "project", "Value": "group/app"}]))[0] == "AccessDenied"


def test_strict_chain_trust_refuses_roles_without_a_policy(sts, issuer):
    hop1 = first_hop(sts, issuer)
    chain(sts, hop1)
    sts.strict_chain_trust = True
    assert refused(lambda: chain(sts, hop1))[0] == "AccessDenied"


def test_unmodelled_chain_policies_are_refused_when_given():
    for statement in (
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}},
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
    ):
        with pytest.raises(ValueError):
            TrustPolicy({"Statement": [statement]})


# --- faults ------------------------------------------------------------------------------


def test_faults_are_per_action(sts, issuer):
    hop1 = first_hop(sts, issuer)
    sts.throttle(times=2, action="AssumeRole")
    assert refused(lambda: chain(sts, hop1))[0] == "Throttling"
    first_hop(sts, issuer)  # the web-identity queue is untouched
    assert refused(lambda: chain(sts, hop1))[0] == "Throttling"
    chain(sts, hop1)
    sts.server_error(times=None, status=503, action="AssumeRole")
    assert refused(lambda: chain(sts, hop1))[0] == "ServiceUnavailable"
    sts.clear_faults()
    chain(sts, hop1)
    with pytest.raises(ValueError):
        sts.throttle(action="GetCallerIdentity")
