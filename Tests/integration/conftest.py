"""Fixtures for the integration tests (see README.md in this folder).

Servers are function-scoped (fresh state and request counts per test) except moto, which
is started once per session. Everything listens on 127.0.0.1 on kernel-chosen ports.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from testkit.env import isolated_env
from testkit.hook import EnvFile, HookResult, run_hook
from testkit.issuer import OIDCIssuer
from testkit.keys import KeyPool
from testkit.mapping import DEFAULT_RULES, mapping_toml, write_mapping
from testkit.moto_sts import MotoServer
from testkit.roots import DebianPackages
from testkit.runner_stage import RunnerJob
from testkit.sts_double import STSDouble

REPO = Path(__file__).resolve().parents[2]
_DEFAULT = object()


@pytest.fixture(scope="session")
def binary() -> Path:
    """The hook binary: $GITLAB_OIDC_AWS_BIN, else <repo>/.build/debug/gitlab-oidc-aws."""
    path = Path(os.environ.get("GITLAB_OIDC_AWS_BIN") or REPO / ".build" / "debug" / "gitlab-oidc-aws")
    if not path.is_file():
        pytest.fail(f"hook binary not found at {path}: run `swift build` or set GITLAB_OIDC_AWS_BIN")
    return path.resolve()


@pytest.fixture(scope="session")
def release_binary(tmp_path_factory) -> Path:
    """The hook as shipped (static Swift runtime, see scripts/common.sh RELEASE_BUILD_ARGS):
    $GITLAB_OIDC_AWS_RELEASE_BIN (test.sh builds it), else built here once."""
    given = os.environ.get("GITLAB_OIDC_AWS_RELEASE_BIN")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"GITLAB_OIDC_AWS_RELEASE_BIN={given} is not a file")
        return path.resolve()
    build = subprocess.run(
        ["bash", "-c", '. scripts/common.sh && swift build "${RELEASE_BUILD_ARGS[@]}" --product gitlab-oidc-aws >&2 '
         '&& swift build "${RELEASE_BUILD_ARGS[@]}" --show-bin-path'],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "PROG": "conftest"})
    if build.returncode != 0:
        pytest.fail(f"the release build failed:\n{build.stderr[-3000:]}")
    return Path(build.stdout.strip().splitlines()[-1]) / "gitlab-oidc-aws"


@pytest.fixture(scope="session")
def bundle(release_binary, tmp_path_factory) -> Path:
    """The container bundle of the release binary (install.sh --bundle), made once per session."""
    folder = tmp_path_factory.mktemp("bundle") / "gitlab-oidc-aws"
    result = subprocess.run([REPO / "install.sh", "--bundle", folder, "--binary", release_binary],
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.fail(f"install.sh --bundle failed:\n{result.stdout}{result.stderr}")
    return folder


@pytest.fixture(scope="session")
def debian_packages() -> DebianPackages:
    """Debian packages for job-image roots, downloaded once into .build/test-debs."""
    return DebianPackages(REPO / ".build" / "test-debs")


@pytest.fixture(scope="session")
def key_pool() -> KeyPool:
    """RSA keys made once per session; every issuer takes its own."""
    return KeyPool(3)


@pytest.fixture
def issuer(key_pool):
    """A running local OIDC issuer (harness.issuer.OIDCIssuer)."""
    with OIDCIssuer(key_pool) as server:
        yield server


@pytest.fixture
def sts():
    """A running STS double (harness.sts_double.STSDouble)."""
    with STSDouble() as server:
        yield server


@pytest.fixture(scope="session")
def moto_sts():
    """moto's server on 127.0.0.1, shared by the session (harness.moto_sts.MotoServer)."""
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def base_env(tmp_path) -> dict[str, str]:
    """A clean process environment (harness.env.isolated_env) for hook, shells, AWS CLI."""
    return isolated_env(tmp_path)


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    """A key-set cache directory of this test only."""
    path = tmp_path / "cache"
    path.mkdir()
    return path


@pytest.fixture
def env_file(tmp_path) -> EnvFile:
    """An existing, empty `$GITLAB_ENV` file (the runner touches it before the hook runs)."""
    f = EnvFile(tmp_path / "project.tmp" / "gitlab_runner_env")
    f.write(b"")
    return f


@pytest.fixture
def make_mapping(tmp_path, issuer, sts, cache_dir):
    """make_mapping(rules=DEFAULT_RULES, sts_endpoint=<double>, **settings) -> Path.

    Writes tmp_path/mapping.toml with issuer = the local issuer, sts_endpoint (default: the
    STS double), cache_dir = this test's cache, then `settings`, then `rules`.
    """
    def make(rules=DEFAULT_RULES, sts_endpoint: str | None = None, **settings) -> Path:
        text = mapping_toml(issuer=issuer.url, sts_endpoint=sts_endpoint or sts.url,
                            cache_dir=cache_dir, rules=rules, **settings)
        return write_mapping(tmp_path, text)
    return make


@pytest.fixture
def hook(binary, base_env, env_file):
    """hook(config, **kw) -> HookResult: runs `binary hook --config config` with
    GITLAB_ENV = the `env_file` fixture unless env_file= is given (None: unset).
    Other keywords as harness.hook.run_hook (token=, extra_env=, env_file_arg=, args=)."""
    default_path = env_file.path

    def run(config, *, env_file=_DEFAULT, **kw) -> HookResult:
        target = default_path if env_file is _DEFAULT else env_file
        return run_hook(binary, config, env=base_env, env_file=target, **kw)

    return run


@pytest.fixture
def job(tmp_path, base_env) -> RunnerJob:
    """A CI job on a (reproduced) shell executor; see harness.runner_stage.RunnerJob."""
    return RunnerJob(tmp_path / "job", base_env)
