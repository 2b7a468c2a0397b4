"""`gitlab-oidc-aws compile` and the hook's use of the compiled mapping.

The hook may use `<mapping>.compiled` only when root or the mapping file's owner owns it,
nobody else may write it, and it was made from the mapping file's current bytes. The tests
prove that the hook really reads the compiled form by editing a role inside it (and fixing
its checksum, as an attacker would): the hook then asks STS for that role while the file is
trusted, and for the TOML file's role as soon as it is not.
"""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets
from testkit.mapping import PROJECT_ROLE, write_mapping

FORGED_ROLE = PROJECT_ROLE[:-1] + "X"


def run(binary, *args, env):
    proc = subprocess.run([str(binary), *map(str, args)], capture_output=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def compile_mapping(binary, config, env):
    code, out, err = run(binary, "compile", "--config", config, env=env)
    assert code == 0, out + err
    compiled = config.with_name(config.name + ".compiled")
    assert compiled.exists()
    return compiled


def forge(compiled):
    """Change the role ARN inside the compiled file, keeping its checksum right."""
    data = compiled.read_bytes()
    assert data.count(PROJECT_ROLE.encode()) == 1
    body = data[:-32].replace(PROJECT_ROLE.encode(), FORGED_ROLE.encode())
    compiled.write_bytes(body + hashlib.sha256(body).digest())
    os.chmod(compiled, 0o644)


def assumed_role(sts) -> str:
    return sts.assume_requests[-1].form["RoleArn"]


def test_compile_writes_a_file_the_hook_uses(binary, base_env, hook, make_mapping, issuer, sts, env_file):
    config = make_mapping()
    compiled = compile_mapping(binary, config, base_env)
    assert compiled.stat().st_mode & 0o777 == 0o644
    token = issuer.mint()
    r = hook(config, token=token)
    assert_exit(r, 0)
    assert "compiled" not in r.stderr
    assert assumed_role(sts) == PROJECT_ROLE
    pairs = assert_credentials_appended(b"", env_file.read())
    assert pairs["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE
    assert_no_secrets(r, token=token, secrets=sts.secrets())

    forge(compiled)
    env_file.write(b"")
    r = hook(config, token=token)
    assert_exit(r, 0)
    assert assumed_role(sts) == FORGED_ROLE, "the hook did not read the compiled mapping"


def test_hook_ignores_a_compiled_mapping_others_may_write(binary, base_env, hook, make_mapping, issuer, sts,
                                                          env_file):
    config = make_mapping()
    compiled = compile_mapping(binary, config, base_env)
    forge(compiled)
    os.chmod(compiled, 0o666)
    r = hook(config, token=issuer.mint())
    assert_exit(r, 0, "ignoring the compiled mapping", "may write")
    assert assumed_role(sts) == PROJECT_ROLE


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_hook_ignores_a_compiled_mapping_of_another_user(binary, base_env, hook, make_mapping, issuer, sts,
                                                         env_file):
    config = make_mapping()
    compiled = compile_mapping(binary, config, base_env)
    forge(compiled)
    os.chown(compiled, 65534, 65534)
    r = hook(config, token=issuer.mint())
    assert_exit(r, 0, "ignoring the compiled mapping", "owned by uid 65534")
    assert assumed_role(sts) == PROJECT_ROLE


def test_hook_ignores_an_out_of_date_compiled_mapping(binary, base_env, hook, make_mapping, issuer, sts,
                                                      env_file):
    config = make_mapping()
    compiled = compile_mapping(binary, config, base_env)
    forge(compiled)
    config.write_text(config.read_text() + "# edited after compiling\n")
    r = hook(config, token=issuer.mint())
    assert_exit(r, 0, "ignoring the compiled mapping", "out of date", "compile")
    assert assumed_role(sts) == PROJECT_ROLE


def test_hook_ignores_a_damaged_compiled_mapping(binary, base_env, hook, make_mapping, issuer, sts, env_file):
    config = make_mapping()
    compiled = compile_mapping(binary, config, base_env)
    data = bytearray(compiled.read_bytes())
    data[len(data) // 2] ^= 0xFF
    compiled.write_bytes(bytes(data))
    r = hook(config, token=issuer.mint())
    assert_exit(r, 0, "ignoring the compiled mapping", "checksum")
    assert assumed_role(sts) == PROJECT_ROLE


def test_compile_refuses_an_invalid_mapping(binary, base_env, tmp_path):
    config = write_mapping(tmp_path, 'issuer = "https://gitlab.example.com"\nregoin = "x"\n')
    code, out, err = run(binary, "compile", "--config", config, env=base_env)
    assert code == 2
    assert "regoin" in err and ":2:" in err
    assert not config.with_name(config.name + ".compiled").exists()


def test_compiled_skip_path(binary, base_env, hook, make_mapping, issuer, env_file):
    """A token no rule matches: the compiled rules decide and name the closest one, nothing is written."""
    config = make_mapping()
    compile_mapping(binary, config, base_env)
    r = hook(config, token=issuer.mint(project_path="other/project"))
    assert_exit(r, 0, "no rule of the mapping matches it", "closest: rule")
    assert "ignoring the compiled mapping" not in r.stderr
    assert env_file.read() == b""
