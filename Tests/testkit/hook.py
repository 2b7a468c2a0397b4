"""Running `gitlab-oidc-aws hook` and the assertions every hook test shares.

    pre_build_script(binary, config)                                    -> str (config.toml's)
    run_hook(binary, config, env=base_env, env_file=path, token=tok)    -> HookResult
    EnvFile(path): write / read / snapshot / assert_unchanged / values
    assert_exit(result, code, *keywords)
    assert_credentials_appended(before, after)                          -> dict of new lines
    assert_no_secrets(results, token=..., secrets=[...])
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CREDENTIAL_KEYS = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_REGION", "AWS_DEFAULT_REGION", "GITLAB_OIDC_AWS_ROLE_ARN",
)

# The runner's pre_build_script as documented (README.md, docs/admin-guide.md, runner-config/,
# install.sh): the contract's two lines, the hook's line extended so that a job without an ID
# token in AWS_ID_TOKEN runs on when the binary cannot start (exit 126 and above: cannot
# execute, not found, killed by a signal), while every other failure still fails the job.
PRE_BUILD_TEMPLATE = (
    "{binary} hook --config {config} || {{ hook_rc=$?\n"
    "  if [ $hook_rc -lt 126 ]; then exit $hook_rc; fi\n"
    '  if [ -n "$AWS_ID_TOKEN" ]; then echo "gitlab-oidc-aws: cannot start the hook (exit $hook_rc): '
    'tell the runner administrator" >&2; exit $hook_rc; fi; }}\n'
    'while read -r line; do export "$line"; done < "$GITLAB_ENV"'
)


def pre_build_script(binary: Path | str, config: Path | str) -> str:
    """The two-line pre_build_script an administrator puts in config.toml."""
    return PRE_BUILD_TEMPLATE.format(binary=binary, config=config)


# --- running the hook --------------------------------------------------------------------


@dataclass
class HookResult:
    returncode: int
    stdout: str
    stderr: str
    argv: list[str] = field(repr=False)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_hook(binary: Path | str, config: Path | str | None, *, env: dict[str, str],
             env_file: Path | str | None = None, env_file_arg: Path | str | None = None,
             token: str | None = None, token_variable: str = "AWS_ID_TOKEN",
             extra_env: dict[str, str] | None = None, args: list[str] | tuple = (),
             cwd: Path | str | None = None, timeout: float = 120) -> HookResult:
    """Run `<binary> hook [--config config] [--env-file env_file_arg] *args`.

    env: base environment (copied). env_file: exported as GITLAB_ENV, as the runner does.
    token: exported as `token_variable` (pass "" for set-but-empty, None to leave unset).
    extra_env: more variables (a value of None removes one). stdin is /dev/null; cwd
    defaults to the env's HOME, so nothing lands in the work tree.
    """
    argv = [str(binary), "hook"]
    if config is not None:
        argv += ["--config", str(config)]
    if env_file_arg is not None:
        argv += ["--env-file", str(env_file_arg)]
    argv += list(args)
    penv = dict(env)
    if env_file is not None:
        penv["GITLAB_ENV"] = str(env_file)
    if token is not None:
        penv[token_variable] = token
    for k, v in (extra_env or {}).items():
        if v is None:
            penv.pop(k, None)
        else:
            penv[k] = v
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=penv,
                          cwd=str(cwd or env.get("HOME") or "/"), timeout=timeout)
    return HookResult(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                      proc.stderr.decode("utf-8", "replace"), argv)


# --- env file ----------------------------------------------------------------------------


class EnvFile:
    """The job's `$GITLAB_ENV` file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def write(self, content: bytes | str) -> bytes:
        """Replace the content (test setup only); returns it as bytes."""
        data = content.encode() if isinstance(content, str) else content
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(data)
        return data

    def read(self) -> bytes:
        return self.path.read_bytes() if self.path.exists() else b""

    def snapshot(self) -> bytes | None:
        """Content, or None when the file does not exist."""
        return self.path.read_bytes() if self.path.exists() else None

    def assert_unchanged(self, snapshot: bytes | None) -> None:
        assert self.snapshot() == snapshot, (
            f"env file changed:\nbefore: {snapshot!r}\nafter:  {self.snapshot()!r}")

    def values(self) -> dict[str, str]:
        """KEY=VALUE lines as the runner's loop would export them (last one wins)."""
        out = {}
        for line in self.read().decode().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
        return out


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_rfc3339(text: str) -> datetime:
    assert RFC3339.fullmatch(text), f"not RFC 3339: {text!r}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_credentials_appended(before: bytes, after: bytes,
                                keys: tuple[str, ...] = CREDENTIAL_KEYS) -> dict[str, str]:
    """Check an append by the hook and return the new KEY=VALUE pairs.

    The old content is an untouched prefix; if it did not end with a newline the addition
    starts with one; every added line is a whole `KEY=VALUE` line ending in a newline; each
    of `keys` is there; AWS_CREDENTIAL_EXPIRATION is RFC 3339 and in the future.
    """
    assert after.startswith(before), f"existing content changed:\n{before!r}\n{after!r}"
    added = after[len(before):]
    if before and not before.endswith(b"\n"):
        assert added.startswith(b"\n"), f"append must start with a newline: {added[:40]!r}"
        added = added[1:]
    assert added.endswith(b"\n"), f"append must end with a newline: {added[-40:]!r}"
    pairs: dict[str, str] = {}
    for line in added.decode().split("\n")[:-1]:
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
        assert m, f"not a KEY=VALUE line: {line!r}"
        assert m.group(1) not in pairs, f"duplicate key {m.group(1)}"
        pairs[m.group(1)] = m.group(2)
    missing = [k for k in keys if k not in pairs]
    assert not missing, f"missing lines: {missing} in {sorted(pairs)}"
    if "AWS_CREDENTIAL_EXPIRATION" in pairs:
        expiry = parse_rfc3339(pairs["AWS_CREDENTIAL_EXPIRATION"])
        assert expiry.timestamp() > datetime.now().timestamp(), expiry
    return pairs


# --- secrets -----------------------------------------------------------------------------


def secret_fragments(token: str | None = None, secrets=()) -> list[str]:
    """What must never be printed: the token, its signature segment, and each secret."""
    out = []
    if token:
        out.append(token)
        parts = token.split(".")
        if len(parts) == 3 and len(parts[2]) >= 16:
            out.append(parts[2])
    out += [s for s in secrets if s]
    return out


def assert_no_secrets(texts, token: str | None = None, secrets=()) -> None:
    """Fail if the token (or its signature) or any secret appears in any of `texts`
    (strings, or results with `.stdout`/`.stderr`)."""
    if isinstance(texts, (str, HookResult)) or hasattr(texts, "stdout"):
        texts = [texts]
    flat = []
    for t in texts:
        if hasattr(t, "stdout"):
            flat += [t.stdout, t.stderr]
        else:
            flat.append(t)
    for fragment in secret_fragments(token, secrets):
        for text in flat:
            assert fragment not in text, f"secret {fragment[:6]}... printed:\n{text}"


def assert_exit(result, code: int, *keywords: str) -> None:
    """`result` exited with `code` and its stderr mentions every keyword (any case)."""
    assert result.returncode == code, (
        f"exit {result.returncode}, expected {code}\nstdout: {result.stdout}\nstderr: {result.stderr}")
    for word in keywords:
        assert word.lower() in result.stderr.lower(), f"stderr lacks {word!r}: {result.stderr}"
