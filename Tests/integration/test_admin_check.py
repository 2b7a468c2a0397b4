"""`gitlab-oidc-aws check`: golden transcripts of the example mappings in golden/, exit
codes, which stream gets what, and agreement with `hook` on what a valid file is."""

from __future__ import annotations

import re

import pytest

from testkit.golden import GOLDEN_DIR, run_admin, run_golden
from testkit.hook import assert_exit

FINDING = re.compile(r"[\w./-]+:\d+: (error|warning): \S.*")

GOLDEN = [
    ("check-mapping", ["check", "--config", "mapping.toml"], 0),
    ("check-mapping-strict", ["check", "--config", "mapping.toml", "--strict"], 1),
    ("check-clean-strict", ["check", "--config", "clean.toml", "--strict"], 0),
    ("check-invalid", ["check", "--config", "invalid.toml"], 2),
    ("check-mistakes", ["check", "--config", "mistakes.toml"], 0),
]


@pytest.mark.parametrize("name,args,code", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_check_transcripts(binary, base_env, name, args, code):
    r = run_golden(binary, base_env, name, args, code)
    # Findings one per line on stderr, compiler style; only the summary on stdout.
    assert all(FINDING.fullmatch(line) for line in r.stderr.splitlines()), r.stderr
    assert len(r.stdout.splitlines()) == 1 and r.stdout.startswith(args[2] + ": "), r.stdout


def test_every_kind_of_warning_is_found_where_it_stands(binary, base_env):
    """The example mapping has one of each; each finding names the line of the culprit."""
    r = run_admin(binary, base_env, ["check", "--config", "mapping.toml"])
    lines = (GOLDEN_DIR / "mapping.toml").read_text().splitlines()
    found = {}
    for finding in r.stderr.splitlines():
        path, line, _, message = finding.split(":", 3)
        assert path == "mapping.toml"
        found.setdefault(message, int(line))
    by_kind = {kind: [(m, n) for m, n in found.items() if key in m] for kind, key in {
        "shadowed": "can never match", "mutable": "picks projects by path", "instance": "every project",
        "duplicate": "also the name", "unknown claim": "not a claim GitLab"}.items()}
    assert all(by_kind.values()), by_kind
    (shadow, shadow_line), = by_kind["shadowed"]
    assert 'rule 6 "web previews"' in shadow and 'rule 5 "sandbox"' in shadow
    assert lines[shadow_line - 1] == "[[rule]]" and 'name = "web previews"' == lines[shadow_line]
    (dup, dup_line), = by_kind["duplicate"]
    assert lines[dup_line - 1] == 'name = "platform releases"' and "rule 7" in dup
    for message, line in by_kind["mutable"]:
        assert ("namespace_path" in lines[line - 1]) or ("project_path" in lines[line - 1]), message
    (_, instance_line), = by_kind["instance"]
    assert 'project_path = "**"' in lines[instance_line - 1]


@pytest.mark.parametrize("name", ["mapping.toml", "clean.toml", "invalid.toml", "mistakes.toml"])
def test_check_and_hook_agree_on_validity(binary, base_env, hook, name):
    """`hook` exits 2 exactly for the files `check` calls invalid."""
    checked = run_admin(binary, base_env, ["check", "--config", name])
    # A job holding a token (any non-empty AWS_ID_TOKEN counts; this one fails verification,
    # exit 1, once a valid mapping is read): a tokenless job never reads the mapping.
    hooked = hook(GOLDEN_DIR / name, token="not-a-jwt")
    assert (checked.returncode == 2) == (hooked.returncode == 2), (checked.stderr, hooked.stderr)


def test_unreadable_file_is_invalid(binary, base_env, tmp_path):
    r = run_admin(binary, base_env, ["check", "--config", str(tmp_path / "absent.toml")])
    assert r.returncode == 2
    assert "absent.toml" in r.stderr and "error" in r.stderr


@pytest.mark.parametrize("args", [["check", "--bogus"], ["check", "--config"], ["check", "--strict=yes"]])
def test_bad_usage_exits_64(binary, base_env, args):
    assert_exit(run_admin(binary, base_env, args), 64)


def test_every_mistake_is_found_where_it_stands(binary, base_env):
    """The second example has one rule-killing mistake of each kind; each finding names the
    line of the culprit."""
    r = run_admin(binary, base_env, ["check", "--config", "mistakes.toml"])
    lines = (GOLDEN_DIR / "mistakes.toml").read_text().splitlines()
    found = [(int(line), message) for _, line, _, message in (f.split(":", 3) for f in r.stderr.splitlines())]
    for key, culprit in [('ref_type = "tags"', 'ref_type = "tags"'), ('ref = "v[0-9]*"', 'ref = "v[0-9]*"'),
                         ('ref_protected = "yes"', 'ref_protected = "yes"'),
                         ('project_id = "platform/infra"', 'project_id = "platform/infra"'),
                         ("contradict each other", 'ref_path = "refs/tags/hotfix-*"'),
                         ('ref = "refs/heads/main"', 'ref = "refs/heads/main"'), ('"^prod.*"', '"^prod.*"')]:
        (line,) = [n for n, message in found if key in message]
        assert culprit in lines[line - 1], (key, lines[line - 1])
    (line,) = [n for n, message in found if "can never match" in message]
    assert lines[line - 1] == "[[rule]]" and lines[line] == 'name = "infra deploys"'


def test_a_setting_below_the_last_rule_is_an_error_on_its_line(binary, base_env, hook, tmp_path):
    """`on_no_match = "fail"` appended to a file: TOML puts it in the last rule's match; check
    and hook refuse the file and say where the line must go."""
    config = tmp_path / "mapping.toml"
    config.write_text('issuer = "https://gitlab.example.com"\n\n[[rule]]\n'
                      'role = "arn:aws:iam::111122223333:role/r"\n[rule.match]\nproject_id = 1\n\n'
                      'on_no_match = "fail"\n')
    r = run_admin(binary, base_env, ["check", "--config", str(config)])
    assert r.returncode == 2
    assert f"{config}:8: error: `on_no_match` is a top-level setting, not a claim" in r.stderr
    assert "move it above the first [[rule]]" in r.stderr
    hooked = hook(config, token="not-a-jwt")
    assert hooked.returncode == 2 and f"{config}:8: error: `on_no_match`" in hooked.stderr


def test_leftover_compiled_file_and_unusable_ca_file_are_warnings(binary, base_env, tmp_path):
    config = tmp_path / "mapping.toml"
    config.write_text(f'issuer = "https://gitlab.example.com"\nca_file = "{tmp_path}/absent.pem"\n[[rule]]\n'
                      'role = "arn:aws:iam::111122223333:role/r"\nmatch = { project_id = 1 }\n')
    (tmp_path / "mapping.toml.compiled").write_bytes(b"GOAMAP\x00\x01")
    r = run_admin(binary, base_env, ["check", "--config", str(config)])
    assert r.returncode == 0
    assert f"{config}: warning: {config}.compiled is left over from the `compile` step" in r.stderr
    assert f"{config}:2: warning: `ca_file` " in r.stderr and "is not a regular file this user can read" in r.stderr


def test_a_missing_file_has_no_line_zero(binary, base_env, tmp_path):
    r = run_admin(binary, base_env, ["check", "--config", str(tmp_path / "absent.toml")])
    assert r.returncode == 2
    assert r.stderr.startswith(f"{tmp_path}/absent.toml: error: cannot open {tmp_path}/absent.toml: No such file")
    assert ":0:" not in r.stderr
