"""`output = "profile"`: the hook writes an AWS config file whose profiles run
`gitlab-oidc-aws credential-process`; the AWS CLI and boto3 get each profile's role on
demand, several roles in one job."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess

import pytest

from testkit.aws_clients import aws, caller_arn, job_environment, mode, run_boto3
from testkit.hook import assert_exit, assert_no_secrets, parse_rfc3339, pre_build_script, run_hook
from testkit.mapping import PRIVILEGED_ROLE, PROJECT_ROLE, role_name

SESSION = "gitlab-42-1001"
TWO_ROLES = [
    {"name": "group project", "role": PROJECT_ROLE, "match": {"project_path": "group/project"}},
    {"name": "group admin", "role": PRIVILEGED_ROLE, "profile": "admin", "region": "eu-west-1",
     "match": {"project_path": "group/**"}},
]
STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION")

BOTO3_PROFILES = """
import json, sys, boto3
for profile in sys.argv[1:]:
    session = boto3.Session(profile_name=profile or None)
    arn = session.client("sts").get_caller_identity()["Arn"]
    print(json.dumps({"profile": profile, "arn": arn, "region": session.region_name}))
"""


def assumed(role: str) -> str:
    return f"arn:aws:sts::111122223333:assumed-role/{role_name(role)}/{SESSION}"


def profile_mapping(make_mapping, rules=TWO_ROLES, **settings):
    return make_mapping(rules=rules, output="profile", **settings)


def who_am_i(env, sts, *profile_args):
    return aws(env, *profile_args, "sts", "get-caller-identity", "--endpoint-url", sts.url,
               "--query", "Arn", "--output", "text")


def credential_process_argv(config_file, profile="default") -> list[str]:
    """The `credential_process` command of `profile`, split as botocore splits it."""
    section = "[default]" if profile == "default" else f"[profile {profile}]"
    lines = config_file.read_text().splitlines()
    start = lines.index(section)
    line = next(l for l in lines[start:] if l.startswith("credential_process = "))
    return shlex.split(line.split(" = ", 1)[1])


def run_process(argv, env):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def profiled(hook, make_mapping, issuer, env_file):
    """Runs the hook with the two-role mapping; returns (token, folder, config file)."""
    token = issuer.mint()
    config = profile_mapping(make_mapping)
    r = hook(config, token=token)
    assert_exit(r, 0)
    assert_no_secrets(r, token=token)
    folder = env_file.path.parent / "gitlab-oidc-aws"
    return token, folder, config


# --- what the hook writes ----------------------------------------------------------------


def test_hook_writes_config_file_and_no_static_keys(profiled, binary, env_file, sts):
    token, folder, config = profiled
    assert sts.assume_count == 0, "the hook itself must not call STS"
    values = env_file.values()
    assert values == {
        "AWS_CONFIG_FILE": str(folder / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials"),
        "AWS_PROFILE": "default",
        "GITLAB_OIDC_AWS_ROLE_ARN": PROJECT_ROLE,
    }
    assert not any(k in values for k in STATIC_KEYS)
    for name in ("config", "credentials", "AWS_ID_TOKEN.jwt"):
        assert mode(folder / name) == 0o600, name
    assert (folder / "AWS_ID_TOKEN.jwt").read_text() == token
    text = (folder / "config").read_text()
    assert "[default]" in text and "[profile admin]" in text
    default = credential_process_argv(folder / "config")
    assert default == [str(binary), "credential-process", "--config", str(config), "--token-file",
                       str(folder / "AWS_ID_TOKEN.jwt"), "--rule", "1", "--cache", str(folder / "cache-rule-1.json")]
    admin = credential_process_argv(folder / "config", "admin")
    assert admin[admin.index("--rule") + 1] == "2"
    assert admin[admin.index("--cache") + 1] == str(folder / "cache-rule-2.json")
    assert token not in text


def test_explain_lists_every_profile(binary, make_mapping, base_env):
    config = profile_mapping(make_mapping)
    r = subprocess.run([str(binary), "explain", "--config", str(config), "--claim", "project_path=group/project"],
                       capture_output=True, text=True, env=base_env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert f"profile default: {PROJECT_ROLE}" in r.stdout
    assert f"profile admin: {PRIVILEGED_ROLE}" in r.stdout


# --- real clients ------------------------------------------------------------------------


def test_aws_cli_default_profile_gets_the_role_once(profiled, env_file, base_env, sts):
    token, folder, _ = profiled
    env = job_environment(base_env, env_file.path)
    assert caller_arn(who_am_i(env, sts)) == assumed(PROJECT_ROLE)
    assert caller_arn(who_am_i(env, sts)) == assumed(PROJECT_ROLE)
    assert sts.assume_count == 1, "the second AWS CLI run must get the cached credentials"
    (req,) = sts.assume_requests
    assert (req.form["RoleArn"], req.form["RoleSessionName"], req.token) == (PROJECT_ROLE, SESSION, token)
    assert mode(folder / "cache-rule-1.json") == 0o600


def test_two_profiles_hit_two_roles(profiled, env_file, base_env, sts):
    token, _, _ = profiled
    env = job_environment(base_env, env_file.path)
    admin = who_am_i(env, sts, "--profile", "admin")
    default = who_am_i(env, sts)
    assert caller_arn(admin) == assumed(PRIVILEGED_ROLE)
    assert caller_arn(default) == assumed(PROJECT_ROLE)
    assert [r.form["RoleArn"] for r in sts.assume_requests] == [PRIVILEGED_ROLE, PROJECT_ROLE]
    assert_no_secrets([admin, default], token=token, secrets=sts.secrets())


def test_boto3_sessions_per_profile(profiled, env_file, base_env, sts):
    token, _, _ = profiled
    env = job_environment(base_env, env_file.path, AWS_ENDPOINT_URL_STS=sts.url)
    r = run_boto3(env, BOTO3_PROFILES, "", "admin")
    assert r.returncode == 0, r.output
    assert r.json_lines() == [
        {"profile": "", "arn": assumed(PROJECT_ROLE), "region": "us-east-1"},
        {"profile": "admin", "arn": assumed(PRIVILEGED_ROLE), "region": "eu-west-1"},
    ]
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def test_aws_cli_shows_why_credentials_are_missing(profiled, env_file, base_env, sts):
    token, _, _ = profiled
    sts.error("AccessDenied", times=None)
    r = who_am_i(job_environment(base_env, env_file.path), sts)
    assert r.returncode != 0
    assert "AccessDenied" in r.stderr and "trust policy" in r.stderr
    assert_no_secrets(r, token=token)


def test_binary_path_with_spaces_and_quotes(hook, make_mapping, issuer, env_file, base_env, sts, binary, tmp_path):
    """The config file quotes the binary's path for the shell that SDKs run it with."""
    odd = tmp_path / "it's a dir" / "gitlab-oidc-aws"
    odd.parent.mkdir()
    shutil.copy2(binary, odd)
    token = issuer.mint()
    r = run_hook(odd, profile_mapping(make_mapping), env=base_env, env_file=env_file.path, token=token)
    assert_exit(r, 0)
    folder = env_file.path.parent / "gitlab-oidc-aws"
    assert credential_process_argv(folder / "config")[0] == str(odd)
    assert caller_arn(who_am_i(job_environment(base_env, env_file.path), sts)) == assumed(PROJECT_ROLE)


# --- credential-process itself -----------------------------------------------------------


def test_credential_process_prints_only_the_json_and_caches(profiled, base_env, sts):
    token, folder, _ = profiled
    argv = credential_process_argv(folder / "config")
    first = run_process(argv, base_env)
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    answer = json.loads(first.stdout)
    issued = sts.issued[-1]
    assert list(answer) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
    assert answer["Version"] == 1
    assert (answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"]) == (
        issued.access_key_id, issued.secret_access_key, issued.session_token)
    assert abs(parse_rfc3339(answer["Expiration"]).timestamp() - issued.expiration) < 1

    second = run_process(argv, base_env)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert sts.assume_count == 1
    assert_no_secrets([first.stderr, second.stderr], token=token, secrets=sts.secrets())


def test_credential_process_renews_within_five_minutes_of_expiry(profiled, base_env, sts):
    _, folder, _ = profiled
    sts.credential_lifetime = 299
    argv = credential_process_argv(folder / "config", "admin")
    first = run_process(argv, base_env)
    second = run_process(argv, base_env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert sts.assume_count == 2
    assert first.stdout != second.stdout
    assert [r.form["RoleArn"] for r in sts.assume_requests] == [PRIVILEGED_ROLE] * 2


def test_credential_process_failures_print_nothing_on_stdout(profiled, base_env, sts, tmp_path, make_mapping):
    token, folder, config = profiled
    argv = credential_process_argv(folder / "config")

    def check(argv, code, *words):
        r = run_process(argv, base_env)
        assert r.returncode == code, r.stderr
        assert r.stdout == ""
        for word in words:
            assert word.lower() in r.stderr.lower(), r.stderr
        assert_no_secrets([r.stderr], token=token)

    sts.error("AccessDenied", times=1)
    check(argv, 1, "AccessDenied")
    assert not (folder / "cache-rule-1.json").exists()

    missing = list(argv)
    missing[missing.index("--token-file") + 1] = str(tmp_path / "nope.jwt")
    check(missing, 1, "nope.jwt")

    no_rule = list(argv)
    no_rule[no_rule.index("--rule") + 1] = "7"
    check(no_rule, 1, "rule 7")
    no_rule[no_rule.index("--rule") + 1] = "0"
    check(no_rule, 64)

    # The mapping changed during the job: rule 1 is now for another project.
    other = [dict(TWO_ROLES[0], match={"project_path": "other/project"}), TWO_ROLES[1]]
    assert profile_mapping(make_mapping, rules=other) == config
    check(argv, 1, "match.project_path")

    config.write_text("issuer = 'not a url'\n")
    check(argv, 2, "issuer")
    assert sts.assume_count == 1


def test_credential_process_refuses_an_expired_token(profiled, base_env, sts, issuer):
    _, folder, _ = profiled
    (folder / "AWS_ID_TOKEN.jwt").write_text(issuer.mint(lifetime=1, now=1_000_000_000))
    r = run_process(credential_process_argv(folder / "config"), base_env)
    assert r.returncode == 1 and r.stdout == ""
    assert "expired" in r.stderr
    assert sts.assume_count == 0


# --- in the runner's stage scripts -------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_stage_scripts_with_two_profiles(job, binary, make_mapping, issuer, sts, shell):
    config = profile_mapping(make_mapping)
    token = issuer.mint()
    job.variables["AWS_ID_TOKEN"] = token
    who = f"aws sts get-caller-identity --endpoint-url {sts.url} --query Arn --output text"
    first = job.step_script([who, f"aws --profile admin {who[4:]}"], pre_build_script(binary, config), shell=shell)
    assert first.returncode == 0, first.output
    assert first.stdout.count(assumed(PROJECT_ROLE)) == 1 and assumed(PRIVILEGED_ROLE) in first.stdout
    written = job.env_file.read_bytes()

    second = job.step_script([who], pre_build_script(binary, config), shell=shell)
    assert second.returncode == 0, second.output
    assert "reusing" in second.stderr
    assert job.env_file.read_bytes() == written
    after = job.after_script([f"aws --profile admin {who[4:]}"], shell=shell)
    assert after.returncode == 0, after.output
    assert assumed(PRIVILEGED_ROLE) in after.stdout
    # One STS call per role for the whole job: later stages get credential-process's cache.
    assert sorted(r.form["RoleArn"] for r in sts.assume_requests) == sorted([PROJECT_ROLE, PRIVILEGED_ROLE])
    assert_no_secrets([first, second, after], token=token, secrets=sts.secrets())
