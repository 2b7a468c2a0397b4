"""The portable bundle in a job container that has no libcurl, no jansson and no Swift.

Run by `scripts/bundle-proof.sh`, which builds the bundle, makes a minimal Debian root file
system with debootstrap and sets GITLAB_OIDC_AWS_BUNDLE and GITLAB_OIDC_AWS_ROOTFS; skipped
otherwise. Each job runs in a private mount namespace (`unshare --mount`) under `chroot`,
with the bundle and the mapping bind-mounted read-only, as the docker executor's volumes
would; the network namespace is the host's, so the issuer and moto on 127.0.0.1 are reachable.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from testkit.env import isolated_env
from testkit.hook import CREDENTIAL_KEYS, EnvFile, assert_credentials_appended, assert_no_secrets, pre_build_script
from testkit.mapping import DEFAULT_RULES, PROJECT_ROLE, mapping_toml, role_name
from testkit.runner_stage import GITLAB_ENV_FILE, StageResult, generate_stage_script, stage_body
from testkit.tls import HTTPSIssuer, TestCA

BUNDLE = os.environ.get("GITLAB_OIDC_AWS_BUNDLE")
ROOTFS = os.environ.get("GITLAB_OIDC_AWS_ROOTFS")

pytestmark = pytest.mark.skipif(
    not (BUNDLE and ROOTFS), reason="bundle proof: run scripts/bundle-proof.sh (needs root and debootstrap)")

BUNDLE_IN_JOB = "/opt/gitlab-oidc-aws"
HOOK_IN_JOB = f"{BUNDLE_IN_JOB}/gitlab-oidc-aws"
MAPPING_IN_JOB = "/etc/gitlab-runner/oidc-aws.toml"
CA_IN_JOB = "/etc/gitlab-oidc-aws-test-ca.pem"
PROJECT_IN_JOB = Path("/builds/group/project")
JOB_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
GLIBC_FAMILY = re.compile(r"^(linux-vdso|ld-linux|libc|libm|libpthread|libdl|librt|libresolv)\b")


@pytest.fixture(scope="module")
def rootfs() -> Path:
    return Path(ROOTFS)


@pytest.fixture(scope="module")
def bundle() -> Path:
    return Path(BUNDLE)


def run_in_container(rootfs: Path, mounts: dict[str, Path], script: str, timeout: float = 180) -> StageResult:
    """Feed `script` to /bin/sh inside `rootfs` with a container's clean environment; `mounts`
    maps paths inside to host paths, bind-mounted read-only for this run only."""
    setup = [f"mount -t proc proc {shlex.quote(str(rootfs / 'proc'))}"]
    for inside, host in mounts.items():
        target = rootfs / inside.lstrip("/")
        if host.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch(exist_ok=True)
        t = shlex.quote(str(target))
        setup += [f"mount --bind {shlex.quote(str(host))} {t}", f"mount -o remount,bind,ro {t}"]
    setup.append(f"exec chroot {shlex.quote(str(rootfs))} /usr/bin/env -i PATH={JOB_PATH} HOME=/root "
                 "LANG=C.UTF-8 /bin/sh")
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec", "\n".join(setup)],
                          input=script.encode(), capture_output=True, timeout=timeout)
    return StageResult(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                       proc.stderr.decode("utf-8", "replace"), script, script)


def fresh_project(rootfs: Path) -> Path:
    """An empty project directory in the root file system; returns the host path of the job's env file."""
    builds = rootfs / "builds"
    shutil.rmtree(builds, ignore_errors=True)
    (rootfs / PROJECT_IN_JOB.relative_to("/")).mkdir(parents=True)
    return rootfs / f"{str(PROJECT_IN_JOB).lstrip('/')}.tmp" / GITLAB_ENV_FILE


def job_script(token: str, commands: list[str]) -> str:
    """A docker-executor `step_script` for `sh` (dash), with the bundled hook as pre_build_script."""
    variables = [("CI", "true"), ("GITLAB_CI", "true"), ("CI_PROJECT_DIR", str(PROJECT_IN_JOB)),
                 ("CI_PROJECT_PATH", "group/project"), ("CI_JOB_ID", "1001"), ("AWS_ID_TOKEN", token)]
    body = stage_body(variables=variables, project_dir=PROJECT_IN_JOB, commands=commands,
                      pre_build_script=pre_build_script(HOOK_IN_JOB, MAPPING_IN_JOB), posix_escapes=True)
    return generate_stage_script("sh", body, posix_escapes=True)


def caller_identity(env_file: Path, endpoint: str, tmp_path: Path) -> str:
    """`aws sts get-caller-identity` on the host with the credentials the job got."""
    env = isolated_env(tmp_path)
    env.update({k: v for k, v in EnvFile(env_file).values().items() if k in CREDENTIAL_KEYS})
    out = subprocess.run(["aws", "sts", "get-caller-identity", "--endpoint-url", endpoint, "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["Arn"]


def glibc_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_root_file_system_is_a_bare_job_image(rootfs, bundle):
    """No libcurl, no jansson, no Swift runtime, no CA certificates; a glibc the bundle accepts."""
    libraries = {p.name for p in rootfs.glob("usr/lib/*/*.so*")} | {p.name for p in rootfs.glob("lib/*/*.so*")}
    assert not [n for n in libraries if n.startswith(("libcurl", "libjansson", "libswift"))]
    assert not list(rootfs.glob("usr/**/libswiftCore.so"))
    assert not (rootfs / "etc/ssl/certs/ca-certificates.crt").exists()
    needed = re.search(r"glibc (\d+\.\d+)", (bundle / "BUNDLE-INFO").read_text()).group(1)
    (libc,) = [p for p in rootfs.glob("usr/lib/*/libc.so.6")] or list(rootfs.glob("lib/*/libc.so.6"))
    banner = subprocess.run(["chroot", str(rootfs), "/usr/bin/ldd", "--version"], capture_output=True, text=True)
    have = re.search(r"(\d+\.\d+)\s*$", banner.stdout.splitlines()[0]).group(1)
    assert libc.exists() and glibc_version(have) >= glibc_version(needed), (have, needed)


def test_without_its_lib_directory_the_binary_cannot_start(rootfs, bundle, tmp_path):
    """The control: the job image alone lacks what the binary needs."""
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy2(bundle / "gitlab-oidc-aws", bare / "gitlab-oidc-aws")
    r = run_in_container(rootfs, {BUNDLE_IN_JOB: bare}, f"{HOOK_IN_JOB} version\n")
    assert r.returncode != 0
    assert "error while loading shared libraries" in r.stderr


def test_bundled_hook_exchanges_a_token_inside_the_container(rootfs, bundle, issuer, moto_sts, tmp_path):
    env_file = fresh_project(rootfs)
    mapping = tmp_path / "oidc-aws.toml"
    mapping.write_text(mapping_toml(issuer=issuer.url, sts_endpoint=moto_sts.url, cache_dir=None,
                                    rules=DEFAULT_RULES))
    token = issuer.mint()
    script = job_script(token, [f"ldd {HOOK_IN_JOB}", 'echo "assumed: $GITLAB_OIDC_AWS_ROLE_ARN"'])
    r = run_in_container(rootfs, {BUNDLE_IN_JOB: bundle, MAPPING_IN_JOB: mapping}, script)

    assert r.returncode == 0, r.output
    assert f"assumed: {PROJECT_ROLE}" in r.stdout
    ldd_lines = [line.strip() for line in r.stdout.splitlines() if "=>" in line]
    assert ldd_lines and "not found" not in r.stdout
    for line in ldd_lines:
        name, _, path = line.partition(" => ")
        if not GLIBC_FAMILY.match(name):
            assert path.startswith(f"{BUNDLE_IN_JOB}/lib/"), line
    pairs = assert_credentials_appended(b"", env_file.read_bytes())
    assert pairs["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE
    arn = caller_identity(env_file, moto_sts.url, tmp_path)
    assert f"assumed-role/{role_name(PROJECT_ROLE)}/" in arn
    assert_no_secrets(r, token=token, secrets=[pairs["AWS_SECRET_ACCESS_KEY"], pairs["AWS_SESSION_TOKEN"]])


def test_https_issuer_with_ca_file_in_an_image_without_ca_certificates(rootfs, bundle, key_pool, moto_sts,
                                                                       tmp_path):
    """The bundled libcurl and OpenSSL verify TLS in the container through `ca_file` alone."""
    ca, stranger = TestCA(tmp_path / "ca"), TestCA(tmp_path / "other-ca")
    with HTTPSIssuer(key_pool, ca) as issuer:
        mapping = tmp_path / "oidc-aws.toml"
        mapping.write_text(mapping_toml(issuer=issuer.url, sts_endpoint=moto_sts.url, cache_dir=None,
                                        rules=DEFAULT_RULES, ca_file=CA_IN_JOB))
        token = issuer.mint()
        script = job_script(token, ['echo "assumed: $GITLAB_OIDC_AWS_ROLE_ARN"'])

        fresh_project(rootfs)
        refused = run_in_container(
            rootfs, {BUNDLE_IN_JOB: bundle, MAPPING_IN_JOB: mapping, CA_IN_JOB: stranger.ca_file}, script)
        assert refused.returncode == 1, refused.output
        assert "assumed:" not in refused.stdout

        env_file = fresh_project(rootfs)
        r = run_in_container(rootfs, {BUNDLE_IN_JOB: bundle, MAPPING_IN_JOB: mapping, CA_IN_JOB: ca.ca_file}, script)
        assert r.returncode == 0, r.output
        assert issuer.jwks_count >= 1
    assert f"assumed: {PROJECT_ROLE}" in r.stdout
    assert f"assumed-role/{role_name(PROJECT_ROLE)}/" in caller_identity(env_file, moto_sts.url, tmp_path)
    values = EnvFile(env_file).values()
    assert_no_secrets([refused, r], token=token,
                      secrets=[values["AWS_SECRET_ACCESS_KEY"], values["AWS_SESSION_TOKEN"]])
