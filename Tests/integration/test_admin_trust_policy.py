"""`gitlab-oidc-aws trust-policy`: golden transcripts, the documents parse (JSON and
Terraform HCL) and say the same, and an STS double that enforces the printed policy the way
IAM does accepts the tokens the rules map and refuses the others."""

from __future__ import annotations

import json
import re
import subprocess

import hcl2
import pytest

from testkit.env import aws_cli
from testkit.golden import GOLDEN_DIR, run_admin, run_golden
from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets

APP_DEV = "arn:aws:iam::444455556666:role/app-dev"
NOTE = re.compile(r"mapping\.toml:\d+: note: rule \d+ \S.*")

GOLDEN = [
    ("trust-policy-all", ["trust-policy", "--config", "mapping.toml"], 0),
    ("trust-policy-app-dev", ["trust-policy", "--config", "mapping.toml", "--role", APP_DEV], 0),
    ("trust-policy-terraform", ["trust-policy", "--config", "mapping.toml", "--format", "terraform"], 0),
    ("trust-policy-app-dev-terraform",
     ["trust-policy", "--config", "mapping.toml", "--role", APP_DEV, "--format", "terraform"], 0),
    ("trust-policy-infra-prod",
     ["trust-policy", "--config", "mapping.toml", "--role", "arn:aws:iam::111122223333:role/infra-prod-deploy"], 0),
    ("trust-policy-sandbox",
     ["trust-policy", "--config", "mapping.toml", "--role", "arn:aws:iam::444455556666:role/sandbox"], 0),
]


@pytest.mark.parametrize("name,args,code", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_trust_policy_transcripts(binary, base_env, name, args, code):
    r = run_golden(binary, base_env, name, args, code)
    assert all(NOTE.fullmatch(line) for line in r.stderr.splitlines()), r.stderr


def policies(binary, env, *args):
    r = run_admin(binary, env, ["trust-policy", "--config", "mapping.toml", *args])
    assert_exit(r, 0)
    return r


def test_json_documents(binary, base_env):
    everything = json.loads(policies(binary, base_env).stdout)
    roles = [line.split('"')[1] for line in (GOLDEN_DIR / "mapping.toml").read_text().splitlines()
             if line.startswith("role = ")]
    assert list(everything) == list(dict.fromkeys(roles))
    for role, document in everything.items():
        account = role.split(":")[4]
        (statement,) = document["Statement"]
        assert document["Version"] == "2012-10-17"
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": f"arn:aws:iam::{account}:oidc-provider/gitlab.example.com"}
        assert statement["Condition"]["StringEquals"] == {"gitlab.example.com:aud": "sts.amazonaws.com"}
        assert list(statement["Condition"]["StringLike"]) == ["gitlab.example.com:sub"]
        single = json.loads(policies(binary, base_env, "--role", role).stdout)
        assert single == document


def hcl_string(literal: str) -> str:
    """The value of an HCL quoted string as python-hcl2 returns it (quotes kept)."""
    body = json.loads(literal)  # HCL's escapes of `"` and `\` are JSON's
    return body.replace("$${", "${").replace("%%{", "%{")


def test_terraform_says_what_the_json_says(binary, base_env):
    everything = json.loads(policies(binary, base_env).stdout)
    parsed = hcl2.loads(policies(binary, base_env, "--format", "terraform").stdout)
    blocks = [body for data in parsed["data"] for kind, named in data.items() for body in named.values()]
    assert len(blocks) == len(everything)
    for block, (role, document) in zip(blocks, everything.items()):
        (statement,) = block["statement"]
        (principals,) = statement["principals"]
        conditions = {hcl_string(c["test"]): c for c in statement["condition"]}
        condition = document["Statement"][0]["Condition"]
        assert [hcl_string(v) for v in statement["actions"]] == ["sts:AssumeRoleWithWebIdentity"]
        assert [hcl_string(v) for v in principals["identifiers"]] == [document["Statement"][0]["Principal"]["Federated"]]
        for test in ("StringEquals", "StringLike"):
            (key, wanted), = condition[test].items()
            assert hcl_string(conditions[test]["variable"]) == key
            assert [hcl_string(v) for v in conditions[test]["values"]] == (wanted if isinstance(wanted, list) else [wanted])


def test_unmapped_role_exits_1(binary, base_env):
    r = run_admin(binary, base_env, ["trust-policy", "--config", "mapping.toml",
                                     "--role", "arn:aws:iam::111122223333:role/nobody"])
    assert_exit(r, 1, "role/nobody")
    assert r.stdout == ""


def test_invalid_mapping_exits_2(binary, base_env):
    assert_exit(run_admin(binary, base_env, ["trust-policy", "--config", "invalid.toml"]), 2, "invalid.toml:3")


@pytest.mark.parametrize("args", [["--role", "deploy"], ["--format", "yaml"], ["--role"]])
def test_bad_usage_exits_64(binary, base_env, args):
    assert_exit(run_admin(binary, base_env, ["trust-policy", "--config", "mapping.toml", *args]), 64)


# --- against an STS double that enforces the policy -------------------------------------

GROUP_ROLE = "arn:aws:iam::111122223333:role/group-main"
INFRA_ROLE = "arn:aws:iam::111122223333:role/infra-prod"
RULES = [
    {"name": "group main", "role": GROUP_ROLE,
     "match": {"project_path": "group/*", "ref_type": "branch", "ref": "main"}},
    {"name": "infra production", "role": INFRA_ROLE,
     "match": {"project_path": "platform/infra", "environment": "production"}},
]


def enforce(binary, base_env, sts, config, role):
    """Give `role` at the STS double the policy `trust-policy --role` prints; return the notes."""
    r = run_admin(binary, base_env, ["trust-policy", "--config", str(config), "--role", role])
    assert_exit(r, 0)
    sts.trust_policy(json.loads(r.stdout), role=role)
    return r.stderr


def assume_directly(env, sts, role, token):
    """What any job could do with its own ID token: call STS itself, bypassing the hook."""
    return subprocess.run(
        [aws_cli(), "sts", "assume-role-with-web-identity", "--endpoint-url", sts.url, "--region", "us-east-1",
         "--role-arn", role, "--role-session-name", "direct", "--web-identity-token", token, "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_policy_admits_the_mapped_tokens_and_refuses_the_others(
        binary, base_env, make_mapping, issuer, sts, hook, env_file):
    config = make_mapping(rules=RULES)
    enforce(binary, base_env, sts, config, GROUP_ROLE)

    mapped = issuer.mint(project_path="group/app", ref="main")
    r = hook(config, token=mapped)
    assert_exit(r, 0)
    assert assert_credentials_appended(b"", env_file.read())["GITLAB_OIDC_AWS_ROLE_ARN"] == GROUP_ROLE

    for unmapped in (issuer.mint(project_path="other/app", ref="main"),
                     issuer.mint(project_path="group/app", ref="dev"),
                     issuer.mint(project_path="group/app", ref="main", ref_type="tag"),
                     issuer.mint(project_path="group/app", ref="main", aud="other")):
        direct = assume_directly(base_env, sts, GROUP_ROLE, unmapped)
        assert direct.returncode != 0 and "AccessDenied" in direct.stderr, direct.stderr
    assert json.loads(assume_directly(base_env, sts, GROUP_ROLE, mapped).stdout)["Credentials"]
    assert_no_secrets(r, token=mapped, secrets=sts.secrets())


def test_every_broadening_the_notes_report_is_real(binary, base_env, make_mapping, issuer, sts, hook):
    """What the notes say IAM cannot enforce, the enforcing double indeed lets through, while
    the hook (which applies the whole rule) does not use the role for those tokens."""
    config = make_mapping(rules=RULES)
    group_notes = enforce(binary, base_env, sts, config, GROUP_ROLE)
    infra_notes = enforce(binary, base_env, sts, config, INFRA_ROLE)
    assert 'project_path = "group/*"' in group_notes and "IAM's * also matches" in group_notes
    assert 'environment = "production" cannot be part of the trust policy' in infra_notes

    deeper = issuer.mint(project_path="group/sub/app", ref="main")
    no_environment = issuer.mint(project_path="platform/infra", ref="feature")
    for role, token in ((GROUP_ROLE, deeper), (INFRA_ROLE, no_environment)):
        direct = assume_directly(base_env, sts, role, token)
        assert direct.returncode == 0, direct.stderr
        hooked = hook(config, token=token)
        assert_exit(hooked, 0, "no rule of the mapping matches it")
    assert sts.assume_count == 2  # only the direct calls
