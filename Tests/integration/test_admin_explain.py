"""`gitlab-oidc-aws explain`: golden transcripts for claims given on the command line,
verified and unverified token files from the local issuer, and agreement with `hook`."""

from __future__ import annotations

import json

import pytest

from testkit import tokens
from testkit.golden import GOLDEN_DIR, run_admin, run_golden
from testkit.hook import assert_exit, assert_no_secrets

APP_FEATURE = ["project_path=apps/web", "project_id=99", "namespace_path=apps", "namespace_id=30",
               "ref_type=branch", "ref=feature/login", "ref_protected=false", "job_id=5001"]
INFRA_PROD = ["project_path=platform/infra", "project_id=1234", "namespace_path=platform",
              "namespace_id=17", "ref_type=branch", "ref=main", "ref_protected=true",
              "environment=production", "job_id=5002"]
NO_MATCH = ["project_path=tools/lint", "project_id=77", "namespace_path=tools", "namespace_id=31",
            "ref_type=branch", "ref=main", "ref_protected=true", "job_id=5003"]
CUSTOM_SUB = APP_FEATURE + ["sub=project_path:apps/web:ref:feature/login"]


def claim_args(claims):
    return [arg for claim in claims for arg in ("--claim", claim)]


GOLDEN = [
    ("explain-app-feature", claim_args(APP_FEATURE), 0),
    ("explain-app-feature-json", claim_args(APP_FEATURE) + ["--format", "json"], 0),
    ("explain-infra-prod", claim_args(INFRA_PROD), 0),
    ("explain-no-match", claim_args(NO_MATCH), 1),
    ("explain-no-match-json", claim_args(NO_MATCH) + ["--format", "json"], 1),
    ("explain-custom-sub", claim_args(CUSTOM_SUB), 0),
]


@pytest.mark.parametrize("name,args,code", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_explain_transcripts(binary, base_env, name, args, code):
    r = run_golden(binary, base_env, name, ["explain", "--config", "mapping.toml", *args], code)
    assert r.stderr == ""
    if "--format" in args:
        json.loads(r.stdout)


def test_json_report_fields(binary, base_env):
    r = run_admin(binary, base_env, ["explain", "--config", "mapping.toml", *claim_args(APP_FEATURE),
                                     "--format", "json"])
    report = json.loads(r.stdout)
    assert [t["number"] for t in report["rules"]] == [1, 2, 3, 4]
    assert report["rules"][0]["failed"] == {"claim": "project_id", "actual": "99", "wanted": ["1234"], "line": 10}
    assert report["rules"][3]["matched"] is True
    match = report["match"]
    assert match["role"] == "arn:aws:iam::444455556666:role/app-dev"
    assert (match["region"], match["duration"], match["session_name"]) == ("eu-west-1", 3600, "gitlab-99-5001")
    assert match["sub"] == "project_path:apps/web:ref_type:branch:ref:feature/login" and match["sub_derived"]
    assert match["trust_policy_admits_sub"] is True


# --- token files --------------------------------------------------------------------------

RULES = [
    {"name": "infra production", "role": "arn:aws:iam::111122223333:role/infra-prod",
     "match": {"project_path": "platform/infra", "ref": "main", "environment": "production"}},
    {"name": "group apps", "role": "arn:aws:iam::111122223333:role/group-apps",
     "match": {"project_path": "group/*"}},
]


def explain_token(binary, base_env, config, token, tmp_path, *extra):
    path = tmp_path / "token"
    path.write_text(token + "\n")
    return run_admin(binary, base_env, ["explain", "--config", str(config), "--token-file", str(path), *extra])


def test_verified_token_file(binary, base_env, make_mapping, issuer, tmp_path):
    token = issuer.mint(project_path="group/app", ref="dev")
    r = explain_token(binary, base_env, make_mapping(rules=RULES), token, tmp_path, "--format", "json")
    assert_exit(r, 0)
    report = json.loads(r.stdout)
    assert report["match"]["name"] == "group apps"
    assert report["match"]["sub"] == "project_path:group/app:ref_type:branch:ref:dev"
    assert report["match"]["sub_derived"] is False
    assert report["rules"][0]["failed"]["claim"] == "project_path"
    assert issuer.jwks_count >= 1
    assert_no_secrets(r, token=token)


@pytest.mark.parametrize("breakage", ["bad_signature", "expired", "other_issuer"])
def test_token_that_fails_verification_exits_1_unless_only_decoded(
        binary, base_env, make_mapping, issuer, tmp_path, breakage):
    good = issuer.mint(project_path="group/app")
    token = {
        "bad_signature": lambda: tokens.bad_signature(good),
        "expired": lambda: issuer.mint(project_path="group/app", now=1_000_000_000),
        "other_issuer": lambda: issuer.mint(project_path="group/app", iss="https://gitlab.other.example"),
    }[breakage]()
    config = make_mapping(rules=RULES)
    refused = explain_token(binary, base_env, config, token, tmp_path)
    assert_exit(refused, 1)
    assert refused.stdout == ""
    # Only an expired token gets the hint: the others are not worth explaining.
    assert ("run explain again with --no-verify" in refused.stderr) == (breakage == "expired")
    decoded = explain_token(binary, base_env, config, token, tmp_path, "--no-verify")
    assert_exit(decoded, 0)
    assert 'rule 2 "group apps"' in decoded.stdout and "matches" in decoded.stdout
    assert_no_secrets([refused, decoded], token=token)


def test_unreadable_token_file_exits_1(binary, base_env, make_mapping, tmp_path):
    r = run_admin(binary, base_env, ["explain", "--config", str(make_mapping(rules=RULES)),
                                     "--token-file", str(tmp_path / "absent")])
    assert_exit(r, 1, "absent")


@pytest.mark.parametrize("project,ref,environment", [
    ("group/app", "main", None), ("platform/infra", "main", "production"),
    ("platform/infra", "main", "staging"), ("other/app", "main", None)])
def test_explain_agrees_with_hook(binary, base_env, make_mapping, issuer, sts, hook, env_file, tmp_path,
                                  project, ref, environment):
    """The role `explain` names is the role `hook` assumes; no match means the hook skips."""
    config = make_mapping(rules=RULES)
    token = issuer.mint(project_path=project, ref=ref, environment=environment)
    explained = explain_token(binary, base_env, config, token, tmp_path, "--format", "json")
    hooked = hook(config, token=token)
    assert_exit(hooked, 0)
    match = json.loads(explained.stdout)["match"]
    if match is None:
        assert explained.returncode == 1 and sts.assume_count == 0
    else:
        assert explained.returncode == 0
        assert env_file.values()["GITLAB_OIDC_AWS_ROLE_ARN"] == match["role"]
        assert sts.assume_requests[0].form["RoleSessionName"] == match["session_name"]
    assert_no_secrets([explained, hooked], token=token, secrets=sts.secrets())


def test_invalid_mapping_exits_2(binary, base_env):
    r = run_admin(binary, base_env, ["explain", "--config", "invalid.toml", "--claim", "ref=main"])
    assert_exit(r, 2, "invalid.toml:3")


@pytest.mark.parametrize("args", [
    [], ["--claim", "ref=main", "--token-file", "t"], ["--claim", "ref"], ["--claim", "=x"],
    ["--claim", "ref=a", "--claim", "ref=b"], ["--claim", "ref=a", "--no-verify"],
    ["--claim", "ref=a", "--format", "xml"]])
def test_bad_usage_exits_64(binary, base_env, args):
    assert_exit(run_admin(binary, base_env, ["explain", "--config", "mapping.toml", *args]), 64)


def test_golden_claims_are_consistent():
    """The golden cases describe tokens GitLab could send (namespace = project path's parent)."""
    for claims in (APP_FEATURE, INFRA_PROD, NO_MATCH):
        values = dict(c.split("=", 1) for c in claims)
        assert values["project_path"].rsplit("/", 1)[0] == values["namespace_path"]
    assert (GOLDEN_DIR / "mapping.toml").exists()


def test_a_claim_gitlab_does_not_send_gets_a_did_you_mean(binary, base_env):
    r = run_admin(binary, base_env, ["explain", "--config", "mapping.toml", *claim_args(APP_FEATURE),
                                     "--claim", "projet_path=apps/web"])
    assert_exit(r, 0)
    assert r.stderr == ("gitlab-oidc-aws: warning: --claim projet_path: GitLab sends no claim of that name and no rule "
                        "tests it; did you mean project_path?\n")
