"""`gitlab-oidc-aws doctor`: the real binary against the local OIDC issuer, the STS double
(over HTTP and HTTPS with a private CA), moto's STS and a CONNECT proxy whose URL holds a
user name and password. Each test checks the exit status, the marks of the checklist, that
nothing was written (env file, job folder, key-set cache) and that no secret, token or proxy
password appears in what doctor printed.

The sample checklist in docs/admin-commands.md is the output of `test_the_documented_sample`,
with the parts that change from run to run (ports, temporary paths, key ids, expiry times)
replaced by the values the doc shows. `UPDATE_GOLDEN=1` rewrites the doc's block.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit import tokens
from testkit.hook import assert_no_secrets
from testkit.issuer import OIDCIssuer, _Handler as IssuerHandler
from testkit.mapping import DEFAULT_RULES, PROJECT_ROLE, mapping_toml, write_mapping
from testkit.proxy import ConnectProxy
from testkit.roots import MOUNT_PATH, empty_root, install_bundle, run_in_root
from testkit.tls import HTTPSIssuer, HTTPSSTSDouble, TestCA

REPO = Path(__file__).resolve().parents[2]
ADMIN_COMMANDS = REPO / "docs" / "admin-commands.md"
PROXY_USER, PROXY_PASSWORD = "runner-bot", "pr0xy-s3cret"
FAST = {"max_attempts": 2, "deadline": 10}


@dataclass
class Doctor:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def marks(self) -> dict[str, list[str]]:
        """The marks of the checklist by the first word of each line, lower case and without
        its colon: {"mapping": ["ok"], "ca": ["ok"], "sts": ["ok", "FAIL"], ...}."""
        found: dict[str, list[str]] = {}
        for line in self.stdout.splitlines():
            match = re.match(r"(ok|warn|FAIL) +(\S+)", line)
            if match:
                found.setdefault(match.group(2).rstrip(":").lower(), []).append(match.group(1))
        return found

    def line(self, start: str) -> str:
        """The first checklist line whose text (after the mark) starts with `start`."""
        for line in self.stdout.splitlines():
            if re.match(r"(ok|warn|FAIL) +" + re.escape(start), line):
                return line
        raise AssertionError(f"no line for {start!r} in:\n{self.stdout}")

    def advice(self, start: str) -> str:
        """The indented line under the checklist line for `start`."""
        lines = self.stdout.splitlines()
        index = lines.index(self.line(start))
        assert lines[index + 1].startswith("     "), self.stdout
        return lines[index + 1].strip()


def run_doctor(binary: Path, config: Path | str, env: dict[str, str], *, token_file: Path | None = None,
               args: tuple = (), extra_env: dict[str, str] | None = None, root: Path | None = None,
               timeout: float = 120) -> Doctor:
    argv = [str(binary), "doctor", "--config", str(config), *args]
    if token_file is not None:
        argv += ["--token-file", str(token_file)]
    penv = {**env, **(extra_env or {})}
    if root is not None:
        r = run_in_root(root, argv, env=penv)
    else:
        r = subprocess.run(argv, env=penv, cwd=env["HOME"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           timeout=timeout)
    return Doctor(r.returncode, r.stdout, r.stderr)


@pytest.fixture
def token_file(tmp_path, issuer):
    """A job's ID token in a file, as an administrator would save it for --token-file."""
    path = tmp_path / "job-token.jwt"
    path.write_text(issuer.mint() + "\n")
    return path


@pytest.fixture
def ca(tmp_path):
    return TestCA(tmp_path / "pki")


@pytest.fixture
def proxy():
    with ConnectProxy() as server:
        yield server


def proxy_url(proxy) -> str:
    return proxy.url.replace("http://", f"http://{PROXY_USER}:{PROXY_PASSWORD}@")


def assert_nothing_written(tmp_path: Path, env_file, before: bytes, cache_dir: Path) -> None:
    env_file.assert_unchanged(before)
    assert not (env_file.path.parent / "gitlab-oidc-aws").exists(), "a job folder was made"
    assert list(cache_dir.iterdir()) == [], "the key-set cache was written"


# --- everything passes ---------------------------------------------------------------------


def test_all_pass_with_a_real_exchange_that_writes_nothing(binary, base_env, make_mapping, issuer, sts, token_file,
                                                             env_file, cache_dir, tmp_path):
    before = env_file.write(b"EARLIER=1\n")
    r = run_doctor(binary, make_mapping(), base_env, token_file=token_file,
                   extra_env={"GITLAB_ENV": str(env_file.path)})

    assert r.returncode == 0, r.output
    assert r.marks() == {"mapping": ["warn"], "ca": ["ok"], "proxy": ["ok"], "issuer": ["ok"], "clock": ["ok"],
                         "key-set": ["ok"], "sts": ["ok"], "token": ["ok"], "rule": ["ok"], "exchange": ["ok"]}, r.stdout
    assert "discovery and 1 RSA signing key" in r.line("issuer")
    assert "InvalidClientTokenId to a GetCallerIdentity signed with" in r.line("STS")
    assert f"assumed {PROJECT_ROLE} via rule 2 \"group project\" as session gitlab-42-1001" in r.line("exchange")
    assert "account 111122223333" in r.line("exchange") and "nothing written" in r.line("exchange")
    assert re.search(r"in step with http://127\.0\.0\.1:\d+ \(HTTP Date\)", r.line("clock")), r.stdout
    assert r.stdout.rstrip().endswith("passed (1 warning)"), r.stdout
    # One exchange: the probe and one AssumeRoleWithWebIdentity; the keys fetched once.
    assert [q.action for q in sts.requests] == ["GetCallerIdentity", "AssumeRoleWithWebIdentity"]
    assert issuer.discovery_count == 1 and issuer.jwks_count == 1
    assert_nothing_written(tmp_path, env_file, before, cache_dir)
    assert_no_secrets(r, token=token_file.read_text().strip(), secrets=sts.secrets())


def test_against_moto(binary, base_env, issuer, moto_sts, token_file, cache_dir, tmp_path):
    config = write_mapping(tmp_path, mapping_toml(issuer=issuer.url, sts_endpoint=moto_sts.url, cache_dir=cache_dir,
                                                  rules=DEFAULT_RULES))
    r = run_doctor(binary, config, base_env, token_file=token_file)
    assert r.returncode == 0, r.output
    assert "answers like STS" in r.line("STS")
    assert f"assumed {PROJECT_ROLE}" in r.line("exchange")
    assert list(cache_dir.iterdir()) == []


def test_json_format(binary, base_env, make_mapping, token_file):
    r = run_doctor(binary, make_mapping(), base_env, token_file=token_file, args=("--format", "json"))
    assert r.returncode == 0, r.output
    report = json.loads(r.stdout)
    assert report["result"] == "ok"
    assert [c["check"] for c in report["checks"]] == [
        "mapping", "ca", "proxy", "issuer", "clock", "cache", "sts", "token", "rule", "exchange"]
    assert {c["status"] for c in report["checks"]} <= {"ok", "warn"}


# --- what fails ------------------------------------------------------------------------------


def test_issuer_unreachable(binary, base_env, make_mapping, issuer, sts, token_file):
    issuer.stop()
    r = run_doctor(binary, make_mapping(**FAST), base_env, token_file=token_file)
    assert r.returncode == 1, r.output
    assert r.marks()["issuer"] == ["FAIL"]
    assert "cannot fetch" in r.line("issuer") and "reaches 127.0.0.1" in r.advice("issuer")
    assert "not verified" in r.line("token")
    assert r.marks()["sts"] == ["ok"], "the STS check runs on"
    assert "attempt 1 of 2 failed" in r.stderr
    assert sts.assume_count == 0


def test_wrong_ca(binary, base_env, key_pool, ca, cache_dir, tmp_path):
    other = TestCA(tmp_path / "other", name="other CA")
    with HTTPSIssuer(key_pool, ca) as issuer, HTTPSSTSDouble(ca) as sts:
        config = write_mapping(tmp_path, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=cache_dir,
                                                      rules=DEFAULT_RULES, ca_file=str(other.ca_file), **FAST))
        r = run_doctor(binary, config, base_env)
        assert issuer.tls_failures >= 1 and sts.tls_failures >= 1
    assert r.returncode == 1, r.output
    assert f"ca_file {other.ca_file} (1 certificate)" in r.line("CA certificates")
    assert r.marks()["issuer"] == ["FAIL"] and r.marks()["sts"] == ["FAIL"]
    assert "TLS verification failed" in r.line("issuer")
    assert "ca_file" in r.advice("issuer") and "ca_file" in r.advice("STS")


def test_a_proxy_with_credentials_never_shows_them(binary, base_env, key_pool, ca, proxy, cache_dir, tmp_path):
    with HTTPSIssuer(key_pool, ca) as issuer, HTTPSSTSDouble(ca) as sts:
        config = write_mapping(tmp_path, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=cache_dir,
                                                      rules=DEFAULT_RULES, ca_file=str(ca.ca_file), **FAST))
        token = tmp_path / "token.jwt"
        token.write_text(issuer.mint())
        through = {"HTTPS_PROXY": proxy_url(proxy), "no_proxy": "example.invalid"}
        r = run_doctor(binary, config, base_env, token_file=token, extra_env=through)
        assert r.returncode == 0, r.output
        assert f"https:// through {proxy.url} (HTTPS_PROXY)" in r.line("proxy")
        assert "no_proxy = example.invalid" in r.line("proxy")
        assert f"through proxy {proxy.url}, CA /etc/ssl/certs + {ca.ca_file}" in r.line("issuer")
        assert f"through proxy {proxy.url}" in r.line("STS")
        assert sorted(set(proxy.connects)) == sorted({f"127.0.0.1:{issuer.port}", f"127.0.0.1:{sts.port}"})

        proxy.refuse(407)
        refused = run_doctor(binary, config, base_env, token_file=token, extra_env=through)
        assert refused.returncode == 1, refused.output
        assert "407" in refused.line("issuer") and "proxy refused" in refused.advice("issuer")
    for result in (r, refused):
        assert PROXY_PASSWORD not in result.output and PROXY_USER not in result.output
        assert_no_secrets(result, token=token.read_text(), secrets=sts.secrets())


def test_an_sts_endpoint_that_is_not_sts(binary, base_env, make_mapping, issuer):
    # The issuer answers a POST with Python's HTML error page.
    r = run_doctor(binary, make_mapping(sts_endpoint=issuer.url + "/", **FAST), base_env)
    assert r.returncode == 1, r.output
    assert re.search(r"not STS: HTTP 501 with an HTML page", r.line("STS")), r.stdout
    assert "sts_endpoint" in r.advice("STS")


def test_a_bad_token(binary, base_env, make_mapping, issuer, sts, tmp_path):
    token = tmp_path / "bad.jwt"
    good = issuer.mint()
    token.write_text(tokens.bad_signature(good))
    r = run_doctor(binary, make_mapping(), base_env, token_file=token)
    assert r.returncode == 1, r.output
    assert "signature is not valid" in r.line("token")
    assert "exchange" not in r.marks()
    assert sts.assume_count == 0
    assert_no_secrets(r, token=tokens.bad_signature(good))


def test_a_token_no_rule_matches(binary, base_env, make_mapping, issuer, sts, tmp_path):
    token = tmp_path / "other.jwt"
    token.write_text(issuer.mint(project_path="else/where"))
    r = run_doctor(binary, make_mapping(), base_env, token_file=token)
    assert r.returncode == 1, r.output
    assert "closest: rule 1 \"infra production\" wants project_path = \"platform/infra\"" in r.line("rule")
    assert "explain" in r.advice("rule")
    assert sts.assume_count == 0


def test_sts_refusing_the_role(binary, base_env, make_mapping, sts, token_file):
    sts.error("AccessDenied", times=None, message="Not authorized to perform sts:AssumeRoleWithWebIdentity")
    r = run_doctor(binary, make_mapping(), base_env, token_file=token_file)
    assert r.returncode == 1, r.output
    assert "AccessDenied" in r.line("exchange")
    assert f"trust-policy --role {PROJECT_ROLE}" in r.advice("exchange")
    assert_no_secrets(r, token=token_file.read_text().strip())


def test_an_invalid_mapping_exits_2_and_checks_what_it_can(binary, base_env, tmp_path, issuer, sts):
    config = write_mapping(tmp_path, f'issuer = "{issuer.url}"\nregoin = "eu-west-1"\n')
    r = run_doctor(binary, config, base_env)
    assert r.returncode == 2, r.output
    assert r.marks() == {"mapping": ["FAIL"], "ca": ["ok"], "proxy": ["ok"]}, r.stdout
    assert re.search(rf"^     {re.escape(str(config))}:2: error: .*regoin", r.stdout, re.M), r.stdout
    assert "exit 2" in r.stdout
    assert issuer.requests == [] and sts.requests == []


def test_bad_usage_exits_64(binary, base_env, make_mapping):
    r = run_doctor(binary, make_mapping(), base_env, args=("--format", "yaml"))
    assert r.returncode == 64, r.output


# --- the clock ---------------------------------------------------------------------------------


class _SkewedHandler(IssuerHandler):
    """The issuer's handler with a Date header ten minutes behind."""

    def date_time_string(self, timestamp=None):
        import time
        return super().date_time_string((timestamp or time.time()) - 600)


class SkewedIssuer(OIDCIssuer):
    handler_class = _SkewedHandler


def test_a_clock_beyond_the_skew_allowance_warns(binary, base_env, key_pool, sts, cache_dir, tmp_path):
    with SkewedIssuer(key_pool) as issuer:
        config = write_mapping(tmp_path, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=cache_dir,
                                                      rules=DEFAULT_RULES))
        r = run_doctor(binary, config, base_env)
    assert r.returncode == 0, r.output
    assert re.search(r"^warn clock: (9|10) min ahead of http://127\.0\.0\.1:\d+ \(HTTP Date\)", r.stdout, re.M), r.stdout
    assert "NTP" in r.advice("clock")


# --- the documented sample ---------------------------------------------------------------------

SAMPLE_BEGIN, SAMPLE_END = "<!-- doctor-sample -->\n```text\n", "```\n<!-- /doctor-sample -->"


def test_the_documented_sample(binary, base_env, key_pool, ca, proxy, cache_dir, env_file, tmp_path):
    """An HTTPS issuer and STS behind a private CA, through a proxy with a password in its URL."""
    with HTTPSIssuer(key_pool, ca) as issuer, HTTPSSTSDouble(ca) as sts:
        config = write_mapping(tmp_path, mapping_toml(
            issuer=issuer.url, sts_endpoint=sts.url + "/", cache_dir=cache_dir, rules=DEFAULT_RULES,
            ca_file=str(ca.ca_file)))
        token = tmp_path / "job-token.jwt"
        token.write_text(issuer.mint())
        before = env_file.write(b"")
        r = run_doctor(binary, config, base_env, token_file=token,
                       extra_env={"HTTPS_PROXY": proxy_url(proxy), "NO_PROXY": "localhost,.internal"})
        kid = issuer.key.kid
    assert r.returncode == 0, r.output
    assert_nothing_written(tmp_path, env_file, before, cache_dir)
    assert PROXY_PASSWORD not in r.output and PROXY_USER not in r.output

    shown = r.stdout
    for real, doc in [
        (str(config), "/etc/gitlab-runner/oidc-aws.toml"), (str(ca.ca_file), "/etc/gitlab-runner/company-ca.pem"),
        (str(token), "/tmp/doctor-token"), (str(cache_dir), "/var/cache/gitlab-oidc-aws"),
        (issuer.url, "https://gitlab.example.com"), (sts.url, "https://sts.us-east-1.amazonaws.com"),
        (proxy.url, "http://proxy.example.com:3128"), (kid, "kbD1ZgQq8nNfHzo3d2T9Yw"),
    ]:
        shown = shown.replace(real, doc)
    shown = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "2026-05-04T10:17:12Z", shown)
    shown = re.sub(r"expires in \d+ min", "expires in 5 min", shown)
    text = ADMIN_COMMANDS.read_text()
    assert SAMPLE_BEGIN in text and SAMPLE_END in text, "docs/admin-commands.md has no doctor sample block"
    head, rest = text.split(SAMPLE_BEGIN, 1)
    documented, tail = rest.split(SAMPLE_END, 1)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        ADMIN_COMMANDS.write_text(head + SAMPLE_BEGIN + shown + SAMPLE_END + tail)
        return
    assert documented == shown, "docs/admin-commands.md's doctor sample differs; UPDATE_GOLDEN=1 rewrites it"


# --- inside a job image, from the container bundle ---------------------------------------------


def test_doctor_from_the_bundle_in_an_empty_root(bundle, issuer, sts, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("the bundle test chroots into a job-image root: run it as root (CI does)")
    root = empty_root(tmp_path / "scratch")
    install_bundle(root, bundle)
    mapping = root / "etc" / "gitlab-runner" / "oidc-aws.toml"
    mapping.parent.mkdir(parents=True)
    mapping.write_text(mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None, rules=DEFAULT_RULES))
    (root / "tmp").mkdir(exist_ok=True)
    (root / "tmp" / "token.jwt").write_text(issuer.mint())
    env = {"PATH": "/usr/bin:/bin", "HOME": "/root"}
    r = run_doctor(f"{MOUNT_PATH}/gitlab-oidc-aws", "/etc/gitlab-runner/oidc-aws.toml", env,
                   token_file=Path("/tmp/token.jwt"), root=root)
    assert r.returncode == 0, r.output
    assert f"the container bundle's own CA bundle {MOUNT_PATH}/ca-certificates.crt (the image has none)" in \
        r.line("CA certificates")
    assert f"assumed {PROJECT_ROLE}" in r.line("exchange")
    assert not (root / "root").exists(), "the cache folder was made"


# --- the docs -----------------------------------------------------------------------------------

ROLLOUT = REPO / "docs" / "fleet-rollout.md"


def doctor_section() -> str:
    return ADMIN_COMMANDS.read_text().split("\n## doctor\n", 1)[1]


@pytest.mark.parametrize("name", ["fleet-rollout.md", "admin-commands.md#doctor"])
def test_the_doctor_docs_links_resolve(name):
    from test_docs import anchors

    doc = REPO / "docs" / name.split("#")[0]
    text = doctor_section() if "#" in name else doc.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        assert path.exists(), f"{name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{name}: {target}"


def test_the_documented_doctor_command_lines_use_real_options(binary, base_env):
    usage = subprocess.run([str(binary), "doctor", "--help"], env=base_env, capture_output=True, text=True)
    assert usage.returncode == 0, usage.stderr
    documented = [ROLLOUT.read_text(), doctor_section(), (REPO / "README.md").read_text()]
    lines = [line for text in documented for line in text.splitlines() if "gitlab-oidc-aws doctor" in line]
    assert len(lines) >= 4, lines
    for option in {o for line in lines for o in re.findall(r"(--[a-z][a-z-]+)", line.split("doctor", 1)[1])}:
        assert option in usage.stdout, option


def test_the_rollout_guide_says_windows_is_out_of_scope():
    assert "Windows runners are out of scope" in ROLLOUT.read_text()
