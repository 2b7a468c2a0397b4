"""`gitlab-oidc-aws audit`: the live trust policies of the mapped roles, read from moto's IAM
(roles created with boto3, in accounts reached with moto's STS) and from an IAM double for
what moto cannot answer (refusals, throttling, odd answers), compared with the mapping.
Golden transcripts for the admin guide run on its example mapping."""

from __future__ import annotations

import json
import re

import pytest

from testkit.boto import boto_client
from testkit.golden import GOLDEN_DIR, run_admin, run_golden
from testkit.hook import assert_exit
from testkit.iam_double import IAMDouble
from testkit.mapping import mapping_toml, write_mapping
from testkit.moto_accounts import MotoAccount, role_arn

ISSUER = "https://gitlab.example.com"
PROVIDER = "gitlab.example.com"
INFRA = {"project_path": "platform/infra", "ref_type": "branch", "ref": "main"}
INFRA_SUB = "project_path:platform/infra:ref_type:branch:ref:main"


def web_policy(account: str, sub, aud="sts.amazonaws.com", sid="GitLab", principal=None) -> dict:
    condition = {"StringLike": {f"{PROVIDER}:sub": sub}}
    if aud is not None:
        condition["StringEquals"] = {f"{PROVIDER}:aud": aud}
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": sid, "Effect": "Allow",
        "Principal": principal or {"Federated": f"arn:aws:iam::{account}:oidc-provider/{PROVIDER}"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}]}


def audit(binary, env, config, *args, cwd=None):
    kwargs = {"cwd": cwd} if cwd else {}
    return run_admin(binary, env, ["audit", "--config", str(config), *args], **kwargs)


def audit_json(binary, env, config, *args) -> tuple[int, dict]:
    r = audit(binary, env, config, "--format", "json", *args)
    return r.returncode, json.loads(r.stdout)


def printed_policy(binary, env, config, role: str) -> dict:
    r = run_admin(binary, env, ["trust-policy", "--config", str(config), "--role", role])
    assert_exit(r, 0)
    return json.loads(r.stdout)


def write(tmp_path, rules, **settings):
    return write_mapping(tmp_path, mapping_toml(issuer=ISSUER, sts_endpoint=None, cache_dir=None, rules=rules,
                                                **settings))


# --- every verdict against moto's IAM -------------------------------------------------------

A = "210000000001"
B = "210000000002"


def test_every_verdict_against_motos_iam(binary, base_env, moto_sts, tmp_path):
    names = ["in-line", "wide", "no-aud", "anyone", "narrow", "gone", "long", "denying", "not-principal", "unknown-key"]
    rules = [{"name": n, "role": role_arn(A, n), "match": dict(INFRA)} for n in names]
    rules[4]["match"] = {"project_path": "apps/*"}
    rules[6]["duration"] = 7200
    rules.append({"name": "elsewhere", "role": role_arn(B, "elsewhere"), "match": dict(INFRA)})
    config = write(tmp_path, rules)
    account = MotoAccount(moto_sts, A)
    provider = f"arn:aws:iam::{A}:oidc-provider/{PROVIDER}"
    deny = printed_policy(binary, base_env, config, role_arn(A, "denying"))
    deny["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
                              "Condition": {"StringLike": {f"{PROVIDER}:sub": "*:ref:dev"}}})
    not_principal = printed_policy(binary, base_env, config, role_arn(A, "not-principal"))
    not_principal["Statement"].append({"Effect": "Allow", "NotPrincipal": {"AWS": role_arn(A, "x")},
                                       "Action": "sts:AssumeRole"})
    unknown = web_policy(A, INFRA_SUB)
    unknown["Statement"][0]["Condition"]["StringEquals"][f"{PROVIDER}:amr"] = "push"
    account.roles({
        "in-line": printed_policy(binary, base_env, config, role_arn(A, "in-line")),
        "wide": web_policy(A, "project_path:platform/*:*", sid="Widened"),
        "no-aud": web_policy(A, INFRA_SUB, aud=None),
        "anyone": web_policy(A, INFRA_SUB, principal={"AWS": "*"}),
        "narrow": web_policy(A, "project_path:apps/web:ref_type:branch:ref:main"),
        "gone": None,
        "long": printed_policy(binary, base_env, config, role_arn(A, "long")),
        "denying": deny, "not-principal": not_principal, "unknown-key": unknown,
    })
    env = dict(base_env, **account.environment)
    code, report = audit_json(binary, env, config, "--endpoint-url", moto_sts.url)
    assert code == 1
    assert report["credentials"] == {"account": A, "arn": f"arn:aws:sts::{A}:assumed-role/auditor/ci"}
    assert report["in_line"] is False and report["account"] is None
    verdicts = {r["role"].rsplit("/", 1)[1]: r for r in report["roles"]}
    assert list(verdicts) == names + ["elsewhere"]
    assert {n: r["verdict"] for n, r in verdicts.items()} == {
        "in-line": "in-line", "wide": "admits-more", "no-aud": "admits-more", "anyone": "admits-more",
        "narrow": "admits-less", "gone": "missing", "long": "admits-less", "denying": "not-analysed",
        "not-principal": "not-analysed", "unknown-key": "not-analysed", "elsewhere": "not-readable"}

    (wide,) = verdicts["wide"]["findings"]
    assert wide["kind"] == "admits-more" and wide["statement"] == 'statement 1 ("Widened")'
    example = re.fullmatch(r'sub StringLike "project_path:platform/\*:\*" admits "([^"]+)", which the mapping does '
                           rf'not send to this role \(it sends "{re.escape(INFRA_SUB)}"\)', wide["message"])
    assert example and example[1].startswith("project_path:platform/") and example[1] != INFRA_SUB
    assert [f["message"] for f in verdicts["no-aud"]["findings"]] == [
        f"has no condition on {PROVIDER}:aud, so it admits ID tokens of any audience; the mapping sends only "
        '"sts.amazonaws.com"']
    assert [f["message"] for f in verdicts["anyone"]["findings"]] == ['trusts every principal ("*")']
    (narrow,) = verdicts["narrow"]["findings"]
    sent = re.fullmatch(r'jobs the mapping sends here would be denied: no statement admits sub "([^"]+)" with aud '
                        r'"sts.amazonaws.com", which rule 5 "narrow" \(line \d+\) sends', narrow["message"])
    assert sent and re.fullmatch(r"project_path:apps/[^/:]+:ref_type:(branch|tag):ref:[^:]+", sent[1]), narrow
    assert verdicts["gone"]["detail"] == f"IAM has no role named gone in account {A}"
    long_rule = config.read_text().splitlines().index('name = "long"')  # the line of [[rule]], 1-based
    assert [f["message"] for f in verdicts["long"]["findings"]] == [
        f"the role's MaxSessionDuration is 3600 s, and rule 7 \"long\" (line {long_rule}) asks for 7200 s sessions, so "
        "STS would deny them"]
    assert "Deny statement" in verdicts["denying"]["findings"][0]["message"]
    assert "NotPrincipal" in verdicts["not-principal"]["detail"]
    assert f'tests "{PROVIDER}:amr" with StringEquals' in verdicts["unknown-key"]["findings"][0]["message"]
    assert verdicts["elsewhere"]["detail"].startswith(f"these credentials act in account {A} ")

    # The text report: one line per role, details indented, then the summary.
    text = audit(binary, env, config, "--endpoint-url", moto_sts.url)
    assert_exit(text, 1)
    lines = text.stdout.splitlines()
    assert [line for line in lines if not line.startswith("  - ")][:-1] == [
        f"{r['role']}: {r['summary']}" for r in report["roles"]]
    assert lines[-1] == (f"audit: 11 roles, read with the credentials of arn:aws:sts::{A}:assumed-role/auditor/ci: "
                         "1 in line, 3 admits more than the mapping, 2 admits less than the mapping, 3 could not be "
                         "fully analysed, 1 missing, 1 not readable with these credentials")
    assert text.stderr == ""


def test_account_audits_only_that_accounts_roles(binary, base_env, moto_sts, tmp_path):
    rules = [{"role": role_arn(A, "only-a"), "match": dict(INFRA)},
             {"role": role_arn(B, "only-b"), "match": {"project_path": "apps/web"}}]
    config = write(tmp_path, rules)
    account = MotoAccount(moto_sts, A)
    account.roles({"only-a": printed_policy(binary, base_env, config, role_arn(A, "only-a"))})
    env = dict(base_env, **account.environment)
    code, report = audit_json(binary, env, config, "--endpoint-url", moto_sts.url, "--account", A)
    assert code == 0 and report["in_line"] is True and report["account"] == A
    assert [r["role"] for r in report["roles"]] == [role_arn(A, "only-a")]
    # The other account's roles, with these credentials: not readable, never "missing".
    code, report = audit_json(binary, env, config, "--endpoint-url", moto_sts.url, "--account", B)
    assert code == 1 and [r["verdict"] for r in report["roles"]] == ["not-readable"]
    r = audit(binary, env, config, "--endpoint-url", moto_sts.url, "--account", "999999999999")
    assert_exit(r, 1, f"no role of the mapping is in account 999999999999 (its roles are in {A}, {B})")
    assert r.stdout == ""


def test_what_trust_policy_prints_is_in_line_once_applied(binary, base_env, moto_sts):
    """Every role of the admin guide's example mapping, given the policy `trust-policy`
    prints, audits as in line, account by account."""
    config = GOLDEN_DIR / "mapping.toml"
    everything = json.loads(run_admin(binary, base_env, ["trust-policy", "--config", "mapping.toml"]).stdout)
    for account_id in ("111122223333", "444455556666"):
        account = MotoAccount(moto_sts, account_id)
        account.roles({arn.rsplit("/", 1)[1]: policy for arn, policy in everything.items()
                       if arn.split(":")[4] == account_id}, {"infra-prod-deploy": 3600})
        env = dict(base_env, **account.environment, AWS_ENDPOINT_URL=moto_sts.url)
        code, report = audit_json(binary, env, config, "--account", account_id)
        assert code == 0, report
        assert {r["verdict"] for r in report["roles"]} == {"in-line"}


# --- exit codes and usage -------------------------------------------------------------------


def test_no_credentials_exits_2(binary, base_env, tmp_path):
    config = write(tmp_path, [{"role": role_arn(A, "x"), "match": dict(INFRA)}])
    for env in (base_env, dict(base_env, AWS_ACCESS_KEY_ID="AKID"), dict(base_env, AWS_ACCESS_KEY_ID="",
                                                                         AWS_SECRET_ACCESS_KEY="s")):
        r = audit(binary, env, config)
        assert_exit(r, 2, "no AWS credentials", "AWS_ACCESS_KEY_ID")
        assert r.stdout == ""


def test_invalid_mapping_exits_2(binary, base_env):
    r = run_admin(binary, dict(base_env, AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b"),
                  ["audit", "--config", "invalid.toml"])
    assert_exit(r, 2, "invalid.toml:3")


@pytest.mark.parametrize("args,env,words", [
    (["--account", "1234"], {}, ["12-digit"]),
    (["--format", "yaml"], {}, []),
    (["--endpoint-url", "http://iam.example.com/"], {}, ["--endpoint-url"]),
    ([], {"AWS_ENDPOINT_URL_STS": "ftp://sts.example.com/"}, ["$AWS_ENDPOINT_URL_STS"]),
    (["--account"], {}, []),
])
def test_bad_usage_exits_64(binary, base_env, args, env, words):
    r = run_admin(binary, dict(base_env, **env), ["audit", "--config", "mapping.toml", *args])
    assert_exit(r, 64, *words)


# --- what moto cannot answer: the IAM double ------------------------------------------------


@pytest.fixture
def iam():
    with IAMDouble(account=A) as server:
        yield server


def test_a_refused_get_role_is_not_readable_and_names_the_account(binary, base_env, tmp_path, iam):
    config = write(tmp_path, [{"name": "locked", "role": role_arn(A, "locked"), "match": dict(INFRA)},
                              {"name": "open", "role": role_arn(A, "open"), "match": {"project_path": "apps/web"}}])
    iam.deny("locked")
    iam.put_role("open", printed_policy(binary, base_env, config, role_arn(A, "open")))
    r = audit(binary, dict(base_env, **iam.environment), config, "--endpoint-url", iam.url)
    assert_exit(r, 1)
    assert r.stdout.splitlines()[:2] == [
        f"{role_arn(A, 'locked')}: not readable with these credentials",
        f"  - IAM refused GetRole in account {A} (User: arn:aws:sts::{A}:assumed-role/auditor/ci is not authorized "
        "to perform: iam:GetRole on resource: role locked because no identity-based policy allows the iam:GetRole "
        f"action): these credentials (arn:aws:sts::{A}:assumed-role/auditor/ci) need iam:GetRole on the role"]
    assert f"{role_arn(A, 'open')}: in line" in r.stdout
    assert r.stderr == ""
    # Every request was signed as AWS wants it: botocore computed the same signatures.
    assert [(q.action, q.role_name, q.signature_ok) for q in iam.requests] == [
        ("GetCallerIdentity", None, True), ("GetRole", "locked", True), ("GetRole", "open", True)]
    assert iam.secret_key not in r.stdout + r.stderr and iam.session_token not in r.stdout + r.stderr


def test_throttling_is_retried_with_one_line_per_attempt(binary, base_env, tmp_path, iam):
    config = write(tmp_path, [{"role": role_arn(A, "busy"), "match": dict(INFRA)}], max_attempts=3)
    iam.put_role("busy", printed_policy(binary, base_env, config, role_arn(A, "busy")))
    iam.fault("busy", 400, "Throttling", "Rate exceeded", times=2)
    r = audit(binary, dict(base_env, **iam.environment), config, "--endpoint-url", iam.url)
    assert_exit(r, 0)
    log = r.stderr.splitlines()
    assert len(log) == 3, r.stderr
    assert all(line.startswith(f"gitlab-oidc-aws: IAM GetRole of {role_arn(A, 'busy')}: attempt ") for line in log)
    assert "Throttling: Rate exceeded" in log[0] and "retrying in" in log[0]
    assert "attempt 3 of 3 succeeded" in log[2]


@pytest.mark.parametrize("status,body,words", [
    (500, b"<html><body>Internal Server Error</body></html>", ["IAM answered HTTP 500", "an HTML page"]),
    (200, b"<GetRoleResponse><GetRoleResult><Role><Arn>", ["truncated XML"]),
    (200, b"<GetRoleResponse><GetRoleResult/></GetRoleResponse>", ["no GetRoleResult/Role"]),
    (403, b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error></ErrorResponse>",
     ["IAM refused GetRole", "SignatureDoesNotMatch"]),
])
def test_odd_answers_are_clear_one_liners(binary, base_env, tmp_path, iam, status, body, words):
    config = write(tmp_path, [{"role": role_arn(A, "odd"), "match": dict(INFRA)}], max_attempts=2, deadline=10)
    iam.fault("odd", status, body=body, times=None)
    r = audit(binary, dict(base_env, **iam.environment), config, "--endpoint-url", iam.url)
    assert_exit(r, 1)
    head, detail, summary = r.stdout.splitlines()
    assert head == f"{role_arn(A, 'odd')}: could not be audited"
    assert detail.startswith("  - ") and all(w in detail for w in words), detail
    assert summary.endswith("1 could not be audited")


def test_an_unreachable_endpoint_is_one_line(binary, base_env, tmp_path, iam):
    config = write(tmp_path, [{"role": role_arn(A, "x"), "match": dict(INFRA)}], max_attempts=2, deadline=10)
    url = iam.url
    iam.stop()
    r = audit(binary, dict(base_env, **iam.environment), config, "--endpoint-url", url)
    assert_exit(r, 1, "cannot reach STS for GetCallerIdentity")
    assert r.stdout == ""
    assert r.stderr.splitlines()[-1].startswith("gitlab-oidc-aws: error: cannot reach STS for GetCallerIdentity: ")


def test_credentials_sts_refuses_are_named_by_their_key(binary, base_env, tmp_path, iam):
    config = write(tmp_path, [{"role": role_arn(A, "x"), "match": dict(INFRA)}])
    env = dict(base_env, **dict(iam.environment, AWS_SECRET_ACCESS_KEY="not-the-secret"))
    r = audit(binary, env, config, "--endpoint-url", iam.url)
    assert_exit(r, 1, "STS refused GetCallerIdentity for access key AKIDAUDITOR: SignatureDoesNotMatch")
    assert "not-the-secret" not in r.stderr and r.stdout == ""


def test_the_double_verifies_signatures_like_aws(iam):
    """The double accepts what botocore signs and refuses a wrong secret or a missing token."""
    iam.put_role("checked", {"Version": "2012-10-17", "Statement": []}, path="/ci/")
    creds = {"AccessKeyId": iam.access_key, "SecretAccessKey": iam.secret_key, "SessionToken": iam.session_token}
    role = boto_client("iam", iam.url, creds).get_role(RoleName="checked")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{A}:role/ci/checked" and role["AssumeRolePolicyDocument"]["Statement"] == []
    assert boto_client("sts", iam.url, creds).get_caller_identity()["Account"] == A
    for wrong in (dict(creds, SecretAccessKey="wrong"), dict(creds, SessionToken=None)):
        with pytest.raises(Exception) as failure:
            boto_client("iam", iam.url, wrong).get_role(RoleName="checked")
        assert re.search("SignatureDoesNotMatch|InvalidClientTokenId", str(failure.value))
    assert [q.signature_ok for q in iam.requests] == [True, True, False, False]


# --- golden transcripts (docs/admin-commands.md) --------------------------------------------


def test_audit_transcript(binary, base_env, moto_sts):
    """The example mapping's roles in account 111122223333: one in line, one widened by hand,
    one narrower than the mapping, one never created."""
    account = MotoAccount(moto_sts, "111122223333")
    everything = json.loads(run_admin(binary, base_env, ["trust-policy", "--config", "mapping.toml"]).stdout)
    readonly = web_policy("111122223333", "project_path:platform/docs:ref_type:*:ref:*", sid="ReadOnly")
    account.roles({
        "infra-prod-deploy": everything[role_arn("111122223333", "infra-prod-deploy")],
        "platform-release": web_policy("111122223333", "project_path:platform/*", sid="PlatformJobs"),
        "platform-readonly": readonly,
        "audit": None,
    })
    env = dict(base_env, **account.environment, AWS_ENDPOINT_URL=moto_sts.url)
    run_golden(binary, env, "audit-account", ["audit", "--config", "mapping.toml", "--account", "111122223333"], 1)
