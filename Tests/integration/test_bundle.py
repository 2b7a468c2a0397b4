"""The container bundle (`install.sh --bundle`) in three job-image roots made from Debian
packages at test time, none with /proc: (a) an empty root with no C library at all, (b) an
Alpine-like root (musl's loader, busybox as /bin/sh) where the runner's stage script runs the
hook as pre_build_script, (c) a root with only Debian's glibc, laid with traps: libraries at
the paths the image's environment, /etc/ld.so.preload, /etc/nsswitch.conf and OpenSSL
configuration point to. Each does a real exchange with the local issuer and STS double on
127.0.0.1 (a chroot shares the host's loopback), with LD_DEBUG=libs showing that every library
the process loads is the bundle's.

The bundle is built once per session from the release binary (conftest `release_binary`); the
roots need root (chroot), which CI has.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from testkit.hook import CREDENTIAL_KEYS, EnvFile, assert_no_secrets, pre_build_script
from testkit.mapping import DEFAULT_RULES, PROJECT_ROLE, mapping_toml
from testkit.roots import MOUNT_PATH, alpine_like_root, empty_root, glibc_root, install_bundle, run_in_root
from testkit.runner_stage import GITLAB_ENV_FILE, run_stage
from testkit.tls import HTTPSIssuer, HTTPSSTSDouble, TestCA

HOOK = f"{MOUNT_PATH}/gitlab-oidc-aws"
MAPPING = "/etc/gitlab-runner/oidc-aws.toml"
PROJECT = Path("/builds/group/project")
ENV_FILE = f"{PROJECT}.tmp/{GITLAB_ENV_FILE}"
CA_IN_IMAGE = "/etc/extra-ca.pem"

@pytest.fixture(autouse=True)
def _needs_root():
    if os.geteuid() != 0:
        pytest.fail("the bundle tests chroot into job-image roots: run them as root (CI does)")


def write_in_root(root: Path, path: str, content: str | bytes) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        target.unlink()
    target.write_bytes(content.encode() if isinstance(content, str) else content)
    return target


def job_env(token: str | None, **extra: str) -> dict[str, str]:
    """The environment of a process in a job container (the image's PATH, the runner's env file)."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
           "GITLAB_ENV": ENV_FILE}
    if token is not None:
        env["AWS_ID_TOKEN"] = token
    env.update(extra)
    return env


def prepare_job(root: Path, mapping_text: str) -> Path:
    """The mapping at MAPPING and an empty env file (as the runner leaves them); returns the
    host path of the env file."""
    write_in_root(root, MAPPING, mapping_text)
    env_file = root / ENV_FILE.lstrip("/")
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_bytes(b"")
    (root / PROJECT.relative_to("/")).mkdir(parents=True, exist_ok=True)
    return env_file


def loaded_files(ld_debug: str) -> list[str]:
    """Every file the dynamic loader opened or initialised, from LD_DEBUG=libs output."""
    files = re.findall(r"^\s*\d+:\s+trying file=(\S+)", ld_debug, re.M)
    files += re.findall(r"^\s*\d+:\s+calling init: (\S+)", ld_debug, re.M)
    return files


def assert_only_bundled_libraries(ld_debug: str, expect: tuple[str, ...] = ("libc.so.6",)) -> list[str]:
    inits = re.findall(r"^\s*\d+:\s+calling init: (\S+)", ld_debug, re.M)
    assert inits, ld_debug[-2000:]
    outside = [f for f in loaded_files(ld_debug) if not f.startswith(MOUNT_PATH + "/")]
    assert outside == [], outside
    for name in expect:
        assert f"{MOUNT_PATH}/lib/{name}" in inits, (name, inits)
    return inits


def assert_credentials(env_file: Path, sts) -> dict[str, str]:
    values = EnvFile(env_file).values()
    assert set(CREDENTIAL_KEYS) <= set(values), values.keys()
    issued = sts.issued[-1]
    assert values["AWS_ACCESS_KEY_ID"] == issued.access_key_id
    assert values["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE
    return values


# --- (a) an empty root: no C library, no /proc --------------------------------------------


def test_empty_root_exchanges_a_token_and_loads_only_the_bundle(bundle, issuer, sts, tmp_path):
    root = empty_root(tmp_path / "scratch")
    install_bundle(root, bundle)
    env_file = prepare_job(root, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None,
                                              rules=DEFAULT_RULES))
    assert not (root / "proc").exists() and not list(root.glob("lib*/**/libc.so*"))
    token = issuer.mint()

    r = run_in_root(root, [HOOK, "hook", "--config", MAPPING], env=job_env(token, LD_DEBUG="libs"))

    assert r.returncode == 0, r.stderr[-3000:]
    values = assert_credentials(env_file, sts)
    inits = assert_only_bundled_libraries(r.stderr, expect=("libc.so.6", "libcurl.so.4", "libssl.so.3"))
    assert len(inits) >= 10, inits
    assert_no_secrets(r, token=token, secrets=[values["AWS_SECRET_ACCESS_KEY"], values["AWS_SESSION_TOKEN"]])


def test_arguments_reach_the_program_without_proc(bundle, tmp_path, release_binary):
    """The Swift runtime would read the command line from /proc: `version` must print the
    version (not the overview help) and a wrong option must be refused with 64."""
    root = empty_root(tmp_path / "scratch")
    install_bundle(root, bundle)
    version = run_in_root(root, [HOOK, "version"], env=job_env(None))
    assert version.returncode == 0, version.stderr
    assert re.fullmatch(r"gitlab-oidc-aws \S+\n", version.stdout), version.stdout
    bogus = run_in_root(root, [HOOK, "hook", "--config", MAPPING, "--no-such-option"], env=job_env(None))
    assert bogus.returncode == 64, bogus.stdout + bogus.stderr
    assert "--no-such-option" in bogus.stderr


def test_incomplete_mount_says_so_in_one_line(bundle, tmp_path):
    root = empty_root(tmp_path / "scratch")
    lone = root / MOUNT_PATH.lstrip("/") / "gitlab-oidc-aws"
    shutil.copy2(bundle / "gitlab-oidc-aws", lone)
    r = run_in_root(root, [HOOK, "hook", "--config", MAPPING], env=job_env("x.y.z"))
    assert r.returncode == 127
    assert r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("gitlab-oidc-aws: incomplete bundle: ") and f"{MOUNT_PATH}/lib/" in line, line
    assert "install.sh --bundle" in line

    shutil.copytree(bundle / "lib", root / MOUNT_PATH.lstrip("/") / "lib")
    (root / MOUNT_PATH.lstrip("/") / "lib" / "gitlab-oidc-aws").unlink()
    r = run_in_root(root, [HOOK, "version"], env=job_env(None))
    assert r.returncode == 127 and r.stderr.startswith("gitlab-oidc-aws: incomplete bundle: "), r.stderr
    assert f"{MOUNT_PATH}/lib/gitlab-oidc-aws is missing" in r.stderr


def test_the_bundle_is_relocatable(bundle, issuer, sts, tmp_path):
    """Mounted elsewhere than the path it was built for, it finds its own files (also when
    started through a symbolic link or a relative path)."""
    root = empty_root(tmp_path / "scratch")
    install_bundle(root, bundle, "/somewhere/else")
    (root / "usr" / "local" / "bin").mkdir(parents=True)
    (root / "usr" / "local" / "bin" / "gitlab-oidc-aws").symlink_to("/somewhere/else/gitlab-oidc-aws")
    env_file = prepare_job(root, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None,
                                              rules=DEFAULT_RULES))
    r = run_in_root(root, ["/usr/local/bin/gitlab-oidc-aws", "hook", "--config", MAPPING],
                    env=job_env(issuer.mint(), LD_DEBUG="libs"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert_credentials(env_file, sts)
    assert "calling init: /somewhere/else/lib/libc.so.6" in r.stderr
    relative = run_in_root(root, ["./gitlab-oidc-aws", "version"], env=job_env(None), cwd="/somewhere/else")
    assert relative.returncode == 0 and relative.stdout.startswith("gitlab-oidc-aws "), relative.stderr


# --- (b) an Alpine-like root: musl, busybox sh, the runner's stage script ------------------


def test_alpine_like_root_runs_the_stage_script_with_busybox(bundle, debian_packages, issuer, sts, tmp_path):
    root = alpine_like_root(tmp_path / "alpine", debian_packages)
    install_bundle(root, bundle)
    env_file = prepare_job(root, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None,
                                              rules=DEFAULT_RULES))
    assert (root / "lib" / "ld-musl-x86_64.so.1").is_symlink() and (root / "bin" / "sh").resolve().name == "busybox"
    token = issuer.mint()
    script = [
        'echo "key in the job: $AWS_ACCESS_KEY_ID"',
        'grep -c "^AWS_SECRET_ACCESS_KEY=" "$GITLAB_ENV"',
        '[ -n "$AWS_SESSION_TOKEN" ] && echo "session token set"',
    ]

    r = run_stage("busybox", pre_build_script(HOOK, MAPPING), script,
                  {"AWS_ID_TOKEN": token, "LD_DEBUG": "libs"}, project_dir=PROJECT,
                  base_env={"PATH": "/bin:/usr/bin"}, chroot=root)

    assert r.returncode == 0, r.output[-3000:]
    values = assert_credentials(env_file, sts)
    assert f"key in the job: {values['AWS_ACCESS_KEY_ID']}\n" in r.stdout
    assert "\n1\n" in r.stdout and "session token set" in r.stdout
    assert_only_bundled_libraries(r.stderr, expect=("libc.so.6", "libcurl.so.4"))
    assert "ld-musl" not in r.stderr
    assert_no_secrets(r, token=token, secrets=[values["AWS_SECRET_ACCESS_KEY"], values["AWS_SESSION_TOKEN"]])


def test_alpine_like_root_tokenless_job_runs_on(bundle, debian_packages, issuer, sts, tmp_path):
    """A job without an ID token: the hook has nothing to do and the job's script runs."""
    root = alpine_like_root(tmp_path / "alpine", debian_packages)
    install_bundle(root, bundle)
    env_file = prepare_job(root, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None,
                                              rules=DEFAULT_RULES))
    r = run_stage("busybox", pre_build_script(HOOK, MAPPING), ['echo "the job script ran"'], {},
                  project_dir=PROJECT, base_env={"PATH": "/bin:/usr/bin"}, chroot=root)
    assert r.returncode == 0, r.output
    assert "the job script ran" in r.stdout
    assert env_file.read_bytes() == b"" and not sts.requests


# --- (c) a glibc-only root with traps ---------------------------------------------------------

TRAP_LIBRARIES = [
    "/usr/lib/x86_64-linux-gnu/libtrap-preload.so",        # /etc/ld.so.preload
    "/usr/lib/x86_64-linux-gnu/libtrap-env.so",            # LD_PRELOAD
    "/usr/lib/x86_64-linux-gnu/libtrap-audit.so",          # LD_AUDIT
    "/trap-path/libcurl.so.4",                             # LD_LIBRARY_PATH
    "/trap-path/libc.so.6",
    "/lib/x86_64-linux-gnu/libnss_mdns4_minimal.so.2",     # /etc/nsswitch.conf
    "/lib/x86_64-linux-gnu/libnss_resolve.so.2",
    "/usr/lib/x86_64-linux-gnu/engines-3/trap.so",         # openssl.cnf
    "/usr/lib/x86_64-linux-gnu/ossl-modules/trap.so",
]

OPENSSL_CNF = """\
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
providers = provider_section
[engine_section]
trap = trap_engine
[trap_engine]
dynamic_path = /usr/lib/x86_64-linux-gnu/engines-3/trap.so
init = 1
[provider_section]
trap = trap_provider
default = default_provider
[trap_provider]
module = /usr/lib/x86_64-linux-gnu/ossl-modules/trap.so
activate = 1
[default_provider]
activate = 1
"""


def laid_with_traps(root: Path) -> None:
    """Real shared libraries (copies of the image's libBrokenLocale) wherever an image's
    settings would have a process load one: if any is loaded, LD_DEBUG shows its path."""
    (bait,) = list(root.glob("**/libBrokenLocale.so.1"))
    for path in TRAP_LIBRARIES:
        write_in_root(root, path, bait.read_bytes())
    write_in_root(root, "/etc/ld.so.preload", "/usr/lib/x86_64-linux-gnu/libtrap-preload.so\n")
    write_in_root(root, "/etc/nsswitch.conf",
                  "passwd: mdns4_minimal files\nhosts: mdns4_minimal [NOTFOUND=return] resolve files dns\n")
    write_in_root(root, "/etc/hosts", "127.0.0.1 localhost\n")
    write_in_root(root, "/etc/ssl/openssl.cnf", OPENSSL_CNF)
    write_in_root(root, "/usr/lib/ssl/openssl.cnf", OPENSSL_CNF)


def test_glibc_root_ignores_the_images_libraries_and_settings(bundle, debian_packages, issuer, sts, tmp_path):
    root = glibc_root(tmp_path / "glibc", debian_packages)
    assert list(root.glob("**/libc.so.6")) and not list(root.glob("**/libcurl.so*"))
    laid_with_traps(root)
    install_bundle(root, bundle)
    # "localhost" makes the hook look a name up (nsswitch.conf names modules for it).
    sts_url = sts.url.replace("127.0.0.1", "localhost")
    env_file = prepare_job(root, mapping_toml(issuer=issuer.url, sts_endpoint=sts_url, cache_dir=None,
                                              rules=DEFAULT_RULES))
    env = job_env(issuer.mint(), LD_DEBUG="libs", LD_LIBRARY_PATH="/trap-path:/lib/x86_64-linux-gnu",
                  LD_PRELOAD="/usr/lib/x86_64-linux-gnu/libtrap-env.so",
                  LD_AUDIT="/usr/lib/x86_64-linux-gnu/libtrap-audit.so", OPENSSL_CONF="/etc/ssl/openssl.cnf",
                  GCONV_PATH="/trap-path")

    r = run_in_root(root, [HOOK, "hook", "--config", MAPPING], env=env)

    assert r.returncode == 0, r.stderr[-3000:]
    assert_credentials(env_file, sts)
    assert sts.requests, "the STS double got no request"
    assert_only_bundled_libraries(r.stderr, expect=("libc.so.6", "libcurl.so.4", "libssl.so.3"))
    assert "trap" not in r.stderr


def test_the_image_loader_would_have_taken_the_bait(debian_packages, tmp_path):
    """The control for the traps: a program of the image, started the ordinary way (its C
    library, which runs as a program and prints its version), loads them."""
    root = glibc_root(tmp_path / "glibc", debian_packages)
    laid_with_traps(root)
    r = run_in_root(root, ["/lib/x86_64-linux-gnu/libc.so.6"],
                    env={"LD_DEBUG": "libs", "LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/libtrap-env.so"})
    assert r.returncode == 0 and "GNU C Library" in r.stdout, r.stderr
    inits = re.findall(r"calling init: (\S+)", r.stderr)
    assert "/usr/lib/x86_64-linux-gnu/libtrap-preload.so" in inits, r.stderr
    assert "/usr/lib/x86_64-linux-gnu/libtrap-env.so" in inits, r.stderr


# --- CA certificates ----------------------------------------------------------------------------


def bundle_with_extra_ca(bundle: Path, ca: TestCA, target: Path) -> Path:
    """A test copy of the bundle whose own CA file also trusts `ca`."""
    shutil.copytree(bundle, target, symlinks=True)
    ca_file = target / "ca-certificates.crt"
    ca_file.write_bytes(ca_file.read_bytes() + ca.ca_file.read_bytes())
    return target


@pytest.fixture
def https_issuer(key_pool, tmp_path):
    ca = TestCA(tmp_path / "ca")
    with HTTPSIssuer(key_pool, ca) as server:
        server.ca = ca
        yield server


def run_https_exchange(root: Path, issuer, sts, **settings) -> tuple:
    env_file = prepare_job(root, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None,
                                              rules=DEFAULT_RULES, **settings))
    r = run_in_root(root, [HOOK, "hook", "--config", MAPPING], env=job_env(issuer.mint()))
    return r, env_file


def test_the_bundles_own_ca_file_verifies_https_in_an_image_without_one(bundle, https_issuer, sts, tmp_path):
    root = empty_root(tmp_path / "scratch")
    install_bundle(root, bundle)
    refused, _ = run_https_exchange(root, https_issuer, sts)
    assert refused.returncode == 1, refused.stderr
    assert https_issuer.url in refused.stderr

    install_bundle(root, bundle_with_extra_ca(bundle, https_issuer.ca, tmp_path / "bundle-copy"))
    r, env_file = run_https_exchange(root, https_issuer, sts)
    assert r.returncode == 0, r.stderr
    assert_credentials(env_file, sts)


def test_the_images_system_ca_file_comes_first(bundle, https_issuer, sts, tmp_path):
    """A RHEL-style image whose system CA file trusts the issuer: the bundle uses it."""
    root = empty_root(tmp_path / "scratch")
    install_bundle(root, bundle)
    write_in_root(root, "/etc/pki/tls/certs/ca-bundle.crt", https_issuer.ca.ca_file.read_bytes())
    r, env_file = run_https_exchange(root, https_issuer, sts)
    assert r.returncode == 0, r.stderr
    assert_credentials(env_file, sts)


def test_the_mappings_ca_file_is_added_on_top_of_the_bundles(bundle, key_pool, tmp_path):
    """The issuer's CA comes from the mapping's `ca_file`, the STS's from the bundle's own CA
    file: both are trusted in one run."""
    issuer_ca, sts_ca = TestCA(tmp_path / "issuer-ca"), TestCA(tmp_path / "sts-ca", name="STS CA")
    root = empty_root(tmp_path / "scratch")
    install_bundle(root, bundle_with_extra_ca(bundle, sts_ca, tmp_path / "bundle-copy"))
    write_in_root(root, CA_IN_IMAGE, issuer_ca.ca_file.read_bytes())
    with HTTPSIssuer(key_pool, issuer_ca) as issuer, HTTPSSTSDouble(sts_ca) as sts:
        without, _ = run_https_exchange(root, issuer, sts)
        assert without.returncode == 1, without.stderr
        assert issuer.url in without.stderr and not sts.requests
        r, env_file = run_https_exchange(root, issuer, sts, ca_file=CA_IN_IMAGE)
        assert r.returncode == 0, r.stderr
        assert_credentials(env_file, sts)
