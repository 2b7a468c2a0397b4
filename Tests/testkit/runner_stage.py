"""A faithful reproduction of the stage scripts GitLab Runner's bash/sh shell writer makes.

What GitLab Runner does for a user step (`step_script`) with the shell executor, as read in
its `shells/bash.go` and `shells/abstract.go` (`writeUserScript`, `writeExports`,
`SourceEnv`, `Finish`), rewritten here from that reading:

    #!/usr/bin/env bash

    trap 'exit 1' TERM

    set -o xtrace                                  # only when CI_DEBUG_TRACE is on
    case "$(set -o)" in *"pipefail"*) set -o pipefail;; esac; set -o errexit
    set +o noclobber
    (trap 'exit 1' TERM; eval '<BODY>') < /dev/null
    exit 0

BODY (shell-quoted as a whole for `eval`) is:
  * `export KEY=VALUE` for the predefined variables, then the job's variables (so a job may
    override predefined `CI_*` ones), then `RUNNER_TEMP_PROJECT_DIR=<project dir>.tmp`,
    then `GITLAB_ENV=$RUNNER_TEMP_PROJECT_DIR/gitlab_runner_env` (after the job's, so a job
    cannot redirect them);
  * `mkdir -p "<tmp dir>"`, `touch "<env file>"`,
    `while read -r line; do export "$line"; done < "<env file>"`;
  * `cd <project dir>`;
  * step_script only: the runner's `pre_build_script`, as one command;
  * each user command, each preceded by an `echo` of `$ <command>` in bold green
    (multi-line commands are announced as `$ <first line> # collapsed multi-line command`);
  * after_script instead announces `Running after script...` and runs its commands, without
    pre_build_script.

Quoting: bash gets ANSI-C quoting (`$'...'`, the runner's default). dash does not know
`$'...'`, so with `sh`/`dash` the runner needs FF_POSIXLY_CORRECT_ESCAPES, which switches
to POSIX double quotes; `posix_escapes` defaults to that for every shell but bash.

The script is fed to the shell on its standard input (shell executor: `bash` with the
script as stdin; docker: `sh -c` detection that execs bash or sh, stdin attached). The
runner starts the shell as a login shell (`-l`); that is off by default here because a
login shell sources the machine's profile, which resets PATH on Debian (pass login=True).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

GITLAB_ENV_FILE = "gitlab_runner_env"
BOLD_GREEN = "\x1b[32;1m"
RESET = "\x1b[0;m"

# Characters that need no quoting at all in the runner's bash quoting.
_LITERAL = set(b",-./0123456789@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
_ANSI_C = {0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f",
           0x0D: "\\r", 0x27: "\\'", 0x5C: "\\\\"}
_POSIX_BACKSLASHED = set('`"\\$')
_POSIX_NEEDS_QUOTES = set(" !#%&()*<=>?[|") | _POSIX_BACKSLASHED


def bash_quote(text: str) -> str:
    """ANSI-C quoting: bare when only safe characters, else `$'...'` with C escapes for
    control characters, quote and backslash, and `\\xHH` for other non-printable or
    non-ASCII bytes."""
    if text == "":
        return "''"
    data = text.encode("utf-8")
    if all(b in _LITERAL for b in data):
        return text
    out = []
    for b in data:
        if b in _ANSI_C:
            out.append(_ANSI_C[b])
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "$'" + "".join(out) + "'"


def posix_quote(text: str) -> str:
    """POSIX double-quote escaping (FF_POSIXLY_CORRECT_ESCAPES)."""
    if text == "":
        return "''"
    if not any(c in _POSIX_NEEDS_QUOTES for c in text):
        return text
    return '"' + "".join("\\" + c if c in _POSIX_BACKSLASHED else c for c in text) + '"'


def _dq_path(path: Path | str) -> str:
    text = str(path)
    assert not any(c in text for c in '"$`\\\n'), f"unsupported character in path {text!r}"
    return f'"{text}"'


@dataclass
class StageResult:
    returncode: int
    stdout: str
    stderr: str
    script: str = field(repr=False)
    body: str = field(repr=False)  # what the script evals, unquoted

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def stage_body(
    *,
    variables: list[tuple[str, str]],
    project_dir: Path,
    commands: list[str],
    pre_build_script: str | None = None,
    stage: str = "step_script",
    posix_escapes: bool = False,
) -> str:
    """The text that the stage script `eval`s (see the module docstring). `variables` are
    the predefined and job variables in order; RUNNER_TEMP_PROJECT_DIR and GITLAB_ENV are
    added here."""
    assert stage in ("step_script", "after_script"), stage
    q = posix_quote if posix_escapes else bash_quote
    tmp_dir = Path(str(project_dir) + ".tmp")
    env_file = tmp_dir / GITLAB_ENV_FILE
    body: list[str] = []

    for key, value in [*variables, ("RUNNER_TEMP_PROJECT_DIR", str(tmp_dir)),
                       ("GITLAB_ENV", str(env_file))]:
        body.append(f"export {q(key)}={q(value)}")
    body.append(f"mkdir -p {_dq_path(tmp_dir)}")
    body.append(f"touch {_dq_path(env_file)}")
    body.append(f'while read -r line; do export "$line"; done < {_dq_path(env_file)}')
    body.append(f"cd {q(str(project_dir))}")

    def notice(text: str) -> None:
        body.append("echo " + q(BOLD_GREEN + text + RESET))

    def command(cmd: str) -> None:
        cmd = cmd.strip()
        if cmd == "":
            body.append("echo")
        else:
            first, _, rest = cmd.partition("\n")
            notice(f"$ {first} # collapsed multi-line command" if rest else f"$ {cmd}")
        body.append(cmd)

    if stage == "after_script":
        notice("Running after script...")
    elif pre_build_script:
        command(pre_build_script)
    for cmd in commands:
        command(cmd)

    return "\n".join(body) + "\n"


def generate_stage_script(shell: str, body: str, *, debug_trace: bool = False,
                          posix_escapes: bool = False) -> str:
    """The whole stage script around `body` (see the module docstring)."""
    eval_arg = (posix_quote if posix_escapes else bash_quote)(body)
    lines = [
        f"#!/usr/bin/env {'sh' if shell in ('dash', 'busybox') else shell}",
        "",
        "trap 'exit 1' TERM",
        "",
    ]
    if debug_trace:
        lines.append("set -o xtrace")
    lines += [
        'case "$(set -o)" in *"pipefail"*) set -o pipefail;; esac; set -o errexit',
        "set +o noclobber",
        f"(trap 'exit 1' TERM; eval {eval_arg}) < /dev/null",
        "exit 0",
    ]
    return "\n".join(lines) + "\n"


def run_stage(
    shell: str,
    pre_build_script: str | None,
    user_script: list[str] | str,
    job_env: dict[str, str] | list[tuple[str, str]],
    *,
    project_dir: Path,
    base_env: dict[str, str],
    stage: str = "step_script",
    predefined: dict[str, str] | None = None,
    debug_trace: bool | None = None,
    posix_escapes: bool | None = None,
    login: bool = False,
    timeout: float = 180,
    shell_argv: list[str] | None = None,
    chroot: Path | None = None,
) -> StageResult:
    """Generate a stage script and run it like the runner does; returns exit code and output.

    shell: "bash", "sh", "dash" or "busybox" (busybox's `sh`, as in Alpine images; POSIX
    quoting like every shell but bash). job_env: the job's variables (exported after
    `predefined`, so they can override them). base_env: the environment of the runner
    process (see env.isolated_env). debug_trace defaults to job_env CI_DEBUG_TRACE == "true".
    shell_argv: how to start the shell, e.g. [path to busybox, "sh"] (default: `shell` found
    on base_env's PATH, inside `chroot` when given). chroot: run the shell with this folder as
    its root directory, like a job container (needs root); project_dir is then a path inside it.
    """
    if isinstance(user_script, str):
        user_script = [user_script]
    job_vars = list(job_env.items()) if isinstance(job_env, dict) else list(job_env)
    if debug_trace is None:
        debug_trace = dict(job_vars).get("CI_DEBUG_TRACE", "").lower() == "true"
    if posix_escapes is None:
        posix_escapes = shell != "bash"
    body = stage_body(
        variables=[*(predefined or {}).items(), *job_vars], project_dir=project_dir,
        commands=list(user_script), pre_build_script=pre_build_script, stage=stage,
        posix_escapes=posix_escapes,
    )
    script = generate_stage_script(shell, body, debug_trace=debug_trace, posix_escapes=posix_escapes)
    if shell_argv is None:
        if chroot is not None:
            shell_argv = [f"/bin/{'sh' if shell == 'busybox' else shell}"]
        else:
            exe = shutil.which(shell, path=base_env.get("PATH"))
            if exe is None:
                raise RuntimeError(f"shell {shell!r} not found")
            shell_argv = [exe, "sh"] if shell == "busybox" else [exe]
    argv = [*shell_argv, "-l"] if login else list(shell_argv)
    proc = subprocess.run(argv, input=script.encode(), capture_output=True, env=base_env,
                          cwd=None if chroot else str(project_dir.parent), timeout=timeout,
                          preexec_fn=(lambda: _enter_root(chroot, project_dir.parent)) if chroot else None)
    return StageResult(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                       proc.stderr.decode("utf-8", "replace"), script, body)


def _enter_root(root: Path, directory: Path) -> None:
    """In the child before exec: make `root` the root directory and `directory` (a path
    inside it) the working directory."""
    os.chroot(root)
    os.chdir(directory)


class RunnerJob:
    """One CI job on a shell executor: a project directory `<root>/builds/<project_path>`,
    its `.tmp` directory and `$GITLAB_ENV` file, the job's variables and a shell.

        job = RunnerJob(tmp_path / "job", base_env, variables={"AWS_ID_TOKEN": token})
        r1 = job.step_script(["aws sts get-caller-identity ..."], pre_build_script=PRE)
        r2 = job.after_script(["echo $AWS_ACCESS_KEY_ID"])
    """

    def __init__(self, root: Path, base_env: dict[str, str], *, project_path: str = "group/project",
                 variables: dict[str, str] | None = None, shell: str = "bash") -> None:
        self.root = Path(root)
        self.base_env = base_env
        self.shell = shell
        self.project_dir = self.root / "builds" / project_path
        self.project_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir = Path(str(self.project_dir) + ".tmp")
        self.env_file = self.tmp_dir / GITLAB_ENV_FILE
        self.variables: dict[str, str] = dict(variables or {})
        self.predefined = {
            "CI": "true", "GITLAB_CI": "true", "CI_SERVER": "yes",
            "CI_BUILDS_DIR": str(self.root / "builds"), "CI_PROJECT_DIR": str(self.project_dir),
            "CI_PROJECT_PATH": project_path, "CI_JOB_ID": "1001", "CI_PROJECT_ID": "42",
            "CI_COMMIT_REF_NAME": "main",
        }

    def _run(self, stage, commands, pre_build_script, shell, extra_variables, **kw) -> StageResult:
        return run_stage(shell or self.shell, pre_build_script, commands,
                         {**self.variables, **(extra_variables or {})},
                         project_dir=self.project_dir, base_env=self.base_env, stage=stage,
                         predefined=self.predefined, **kw)

    def step_script(self, commands: list[str] | str, pre_build_script: str | None = None, *,
                    shell: str | None = None, extra_variables: dict | None = None, **kw) -> StageResult:
        """Run the `step_script` stage (pre_build_script, then `commands`)."""
        return self._run("step_script", commands, pre_build_script, shell, extra_variables, **kw)

    def after_script(self, commands: list[str] | str, *, shell: str | None = None,
                     extra_variables: dict | None = None, **kw) -> StageResult:
        """Run the `after_script` stage (no pre_build_script)."""
        return self._run("after_script", commands, None, shell, extra_variables, **kw)
