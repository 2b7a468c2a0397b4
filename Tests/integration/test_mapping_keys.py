"""The mapping keys of this round through the real binary: `mode = "shadow"`, `skip = true`
rules (with `block_instance_metadata`), `help`, `allowed_account_ids` and `[[rule.chain]]`
(against the STS double, which verifies each chained AssumeRole as STS does); a leftover
`.compiled` file next to the mapping; and any bytes in a mapping file."""

from __future__ import annotations

import random

import pytest

from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets
from testkit.mapping import PROJECT_ROLE

TARGET = "arn:aws:iam::444455556666:role/deploy-target"
HELP = "AWS access: see https://wiki.example.com/ci-aws or #platform"
SKIP_MERGE_REQUESTS = {"name": "merge requests get nothing", "skip": True,
                       "match": {"pipeline_source": "merge_request_event"}}
PROJECT = {"name": "group project", "role": PROJECT_ROLE, "match": {"project_path": "group/project"}}


def log_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line]


def test_shadow_mode_says_what_it_would_do_and_does_nothing(hook, make_mapping, issuer, sts, env_file):
    config = make_mapping(rules=[PROJECT], mode="shadow")
    before = env_file.snapshot()
    r = hook(config, token=issuer.mint())
    assert_exit(r, 0)
    (line,) = log_lines(r)
    assert line.startswith(f"gitlab-oidc-aws: shadow mode: would assume {PROJECT_ROLE} via rule 1 \"group project\"")
    assert 'nothing was called or written (mode = "shadow")' in line
    assert sts.requests == [] and env_file.snapshot() == before


def test_shadow_mode_exits_0_where_enforcing_would_fail(hook, make_mapping, issuer, sts, env_file):
    config = make_mapping(rules=[PROJECT], mode="shadow", on_no_match="fail")
    r = hook(config, token=issuer.mint(project_path="other/project"))
    assert_exit(r, 0, "shadow mode: would fail this job")
    assert sts.requests == [] and env_file.read() == b""


@pytest.mark.parametrize("block", [False, True])
def test_a_skip_rule_gives_nothing_and_says_so_once(hook, make_mapping, issuer, sts, env_file, block):
    config = make_mapping(rules=[SKIP_MERGE_REQUESTS, PROJECT], block_instance_metadata=block)
    r = hook(config, token=issuer.mint(pipeline_source="merge_request_event"))
    assert_exit(r, 0)
    assert log_lines(r) == ['gitlab-oidc-aws: no AWS credentials for this job: rule 1 "merge requests get nothing" '
                            "matches it first and says skip = true"]
    assert sts.requests == []
    assert env_file.read() == (b"AWS_EC2_METADATA_DISABLED=true\n" if block else b"")


def test_a_job_the_skip_rule_does_not_match_gets_its_role(hook, make_mapping, issuer, sts, env_file):
    before = env_file.read()
    r = hook(make_mapping(rules=[SKIP_MERGE_REQUESTS, PROJECT]), token=issuer.mint(pipeline_source="push"))
    assert_exit(r, 0)
    assert assert_credentials_appended(before, env_file.read())["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE


def test_help_ends_every_failure_line(hook, make_mapping, issuer, sts, env_file):
    config = make_mapping(rules=[PROJECT], on_no_match="fail", help=HELP)
    r = hook(config, token=issuer.mint(project_path="other/project"))
    assert_exit(r, 1)
    assert log_lines(r)[-1].endswith(HELP)


@pytest.mark.parametrize("where", ["top level", "rule"])
def test_a_role_outside_the_allowed_accounts_gets_nothing(hook, make_mapping, issuer, sts, env_file, where):
    rule = dict(PROJECT)
    settings = {}
    if where == "rule":
        rule["allowed_account_ids"] = ["444455556666"]
        settings["allowed_account_ids"] = ["111122223333"]
    else:
        settings["allowed_account_ids"] = ["444455556666"]
    r = hook(make_mapping(rules=[rule], **settings), token=issuer.mint())
    assert_exit(r, 1, "account 111122223333", "allowed_account_ids", "nothing was written")
    assert env_file.read() == b"" and sts.requests == []


def test_allowed_accounts_let_a_listed_role_through(hook, make_mapping, issuer, sts, env_file):
    r = hook(make_mapping(rules=[PROJECT], allowed_account_ids=["111122223333"]), token=issuer.mint())
    assert_exit(r, 0)
    assert env_file.values()["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE


def test_a_chain_assumes_each_hop_with_the_previous_credentials(hook, make_mapping, issuer, sts, env_file):
    rule = dict(PROJECT, chain=[{"role": TARGET, "external_id": "ext-1", "duration": 1200,
                                 "session_name": "hop-{job_id}",
                                 "tags": {"project": "{project_path}", "ref": "{ref}", "env": "{environment}"},
                                 "transitive_tag_keys": ["project", "env"]}])
    sts.trust_chain(TARGET, PROJECT_ROLE, external_id="ext-1")
    sts.strict_chain_trust = True
    token = issuer.mint(job_id=1001)
    r = hook(make_mapping(rules=[rule], allowed_account_ids=["444455556666"]), token=token)
    assert_exit(r, 0)
    (first,) = sts.assume_requests
    (hop,) = sts.chain_requests
    assert first.form["RoleArn"] == PROJECT_ROLE
    assert hop.form["RoleArn"] == TARGET and hop.form["RoleSessionName"] == "hop-1001"
    assert hop.form["DurationSeconds"] == "1200" and hop.external_id == "ext-1"
    # A tag whose claim the token lacks (no environment) is left out, and so is its key.
    assert hop.tags == [("project", "group/project"), ("ref", "main")]
    assert hop.transitive_tag_keys == ["project"]
    issued = sts.issued[-1]
    assert issued.role_arn == TARGET and [c.role_arn for c in issued.chain] == [PROJECT_ROLE, TARGET]
    values = env_file.values()
    assert values["GITLAB_OIDC_AWS_ROLE_ARN"] == TARGET
    assert values["AWS_ACCESS_KEY_ID"] == issued.access_key_id
    assert TARGET in r.stderr and PROJECT_ROLE in r.stderr
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def test_a_leftover_compiled_file_is_ignored(hook, make_mapping, issuer, sts, env_file, tmp_path):
    config = make_mapping(rules=[PROJECT])
    (tmp_path / "mapping.toml.compiled").write_bytes(b"GOAMAP" + bytes(range(256)) * 4)
    r = hook(config, token=issuer.mint())
    assert_exit(r, 0)
    assert env_file.values()["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE
    assert "compiled" not in r.stderr and len(log_lines(r)) == 1


def test_any_bytes_in_the_mapping_exit_2_with_a_line(hook, make_mapping, issuer, sts, env_file, tmp_path):
    """Random damage to a valid mapping: the hook loads it (exit 0) or refuses it with lines of
    `FILE:LINE: error: ...` (exit 2); never a crash, a hang or another exit status."""
    config = make_mapping(rules=[PROJECT])
    good = config.read_bytes()
    generator = random.Random(20)
    token = issuer.mint()
    for _ in range(40):
        damaged = bytearray(good)
        for _ in range(generator.randint(1, 4)):
            position = generator.randrange(len(damaged))
            damaged[position] = generator.choice([0, 0x0D, 0x22, 0x5B, 0x5D, 0x3D, 0xFF, 0xC3, generator.randrange(256)])
        config.write_bytes(bytes(damaged))
        r = hook(config, token=token, timeout=30)
        assert r.returncode in (0, 1, 2), r.stderr
        if r.returncode == 2:
            prefix = f"gitlab-oidc-aws: {config}:"
            errors = [line.removeprefix(prefix) for line in log_lines(r) if line.startswith(prefix)]
            assert errors, r.stderr
            for line in errors:
                number, _, message = line.partition(": error: ")
                assert number.isdigit() and int(number) >= 1 and message, line
