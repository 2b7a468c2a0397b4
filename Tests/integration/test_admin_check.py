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


@pytest.mark.parametrize("name", ["mapping.toml", "clean.toml", "invalid.toml"])
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
