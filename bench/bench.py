"""Benchmark of the hook against the AWS CLI recipe and bare curl (see docs/performance.md).

Every variant runs as the `pre_build_script` of a reproduced GitLab Runner stage script (bash,
the same script the integration tests use), against the local OIDC issuer and the STS double
of the integration harness on 127.0.0.1. Runs are interleaved: each round runs every variant
once, in a shuffled order, so that a change in machine load hits all variants alike.

Wall time is measured from starting the stage shell to reaping it; peak memory is the
largest resident set in the stage's process tree, as `/usr/bin/time` reports it for the
shell (the maximum over the shell and every child it waited for: the hook's, curl's or the
AWS CLI's own peak). The shell is started by `time` rather than straight from Python because
Linux carries a process's peak over `exec`, so a shell forked from Python would report
Python's size.

Run it through bench/run.sh, which builds and installs what is missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


from testkit.env import aws_cli, isolated_env
from testkit.hook import pre_build_script
from testkit.issuer import OIDCIssuer
from testkit.keys import KeyPool
from testkit.mapping import DEFAULT_RULES, PROJECT_ROLE, mapping_toml
from testkit.runner_stage import GITLAB_ENV_FILE, generate_stage_script, stage_body
from testkit.sts_double import STSDouble

RULE_COUNTS = (10, 1_000, 10_000, 100_000)
SESSION = "gitlab-42-1001"
PROJECT_DIR_NAME = "builds/group/project"


@dataclass
class Variant:
    name: str
    label: str
    pre_build_script: str
    with_token: bool = True
    sts_calls: int = 1
    expected_role: str | None = None
    samples_ms: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)


def rules_mapping(count: int, issuer: str, sts: str, cache_dir: Path) -> str:
    """`count` rules like a large installation's; only the last one matches the token."""
    lines = [f'issuer = "{issuer}"', f'sts_endpoint = "{sts}"', f'cache_dir = "{cache_dir}"', ""]
    for i in range(1, count):
        lines += ["[[rule]]", f'role = "arn:aws:iam::111122223333:role/group{i}-deploy"',
                  f'match = {{ project_path = "group{i}/*", ref = ["main", "release/*"] }}', ""]
    lines += ["[[rule]]", 'name = "group project"', f'role = "{PROJECT_ROLE}"',
              'match = { project_path = "group/project", ref = ["main", "release/*"] }', ""]
    return "\n".join(lines)


def aws_recipe(sts_url: str) -> str:
    """The job-script recipe users copy today (AWS CLI v1 from PyPI)."""
    return (
        'export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" '
        f'$(aws sts assume-role-with-web-identity --role-arn {PROJECT_ROLE} '
        '--role-session-name "gitlab-${CI_PROJECT_ID}-${CI_JOB_ID}" '
        '--web-identity-token "$AWS_ID_TOKEN" '
        f'--endpoint-url {sts_url} --region us-east-1 '
        "--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text))"
    )


def curl_request(sts_url: str) -> str:
    """The same STS request as a bare curl POST: the floor for any libcurl-based client."""
    return (
        f"curl -sS --fail -o /dev/null -X POST {sts_url}/ "
        "-d Action=AssumeRoleWithWebIdentity -d Version=2011-06-15 -d DurationSeconds=3600 "
        f"--data-urlencode RoleArn={PROJECT_ROLE} -d RoleSessionName={SESSION} "
        '--data-urlencode "WebIdentityToken=$AWS_ID_TOKEN"'
    )


class Bench:
    def __init__(self, binary: Path, root: Path, rounds: int, rule_counts: tuple[int, ...]) -> None:
        self.binary = binary
        self.root = root
        self.rounds = rounds
        self.rule_counts = rule_counts
        self.env = isolated_env(root)
        self.issuer = OIDCIssuer(KeyPool(size=1)).start()
        self.sts = STSDouble().start()
        self.cache_dir = root / "cache"
        self.cache_dir.mkdir()
        self.project_dir = root / PROJECT_DIR_NAME
        self.project_dir.mkdir(parents=True)
        self.env_file = Path(str(self.project_dir) + ".tmp") / GITLAB_ENV_FILE
        self.token = self.issuer.mint(lifetime=6 * 3600)
        self.variants: list[Variant] = []

    def stop(self) -> None:
        self.issuer.stop()
        self.sts.stop()

    # --- set-up --------------------------------------------------------------------------

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def add_variants(self) -> None:
        small = self.write("small/oidc-aws.toml", mapping_toml(
            issuer=self.issuer.url, sts_endpoint=self.sts.url, cache_dir=self.cache_dir, rules=DEFAULT_RULES))
        hook = pre_build_script(self.binary, small)
        self.variants += [
            Variant("hook", "hook (2 rules)", hook, expected_role=PROJECT_ROLE),
            Variant("aws-cli", "AWS CLI recipe", aws_recipe(self.sts.url)),
            Variant("curl", "bare curl POST", curl_request(self.sts.url)),
            Variant("skip", "hook, job without token", hook, with_token=False, sts_calls=0),
            Variant("stage", "empty stage (true)", "true", sts_calls=0),
        ]
        for count in self.rule_counts:
            config = self.write(f"rules-{count}/oidc-aws.toml",
                                rules_mapping(count, self.issuer.url, self.sts.url, self.cache_dir))
            self.variants.append(Variant(f"rules-{count}", f"hook, {count:,} rules", pre_build_script(self.binary, config),
                                         expected_role=PROJECT_ROLE))
        for variant in self.variants:
            variables = [("AWS_ID_TOKEN", self.token)] if variant.with_token else []
            predefined = [("CI", "true"), ("GITLAB_CI", "true"), ("CI_PROJECT_DIR", str(self.project_dir)),
                          ("CI_PROJECT_PATH", "group/project"), ("CI_PROJECT_ID", "42"), ("CI_JOB_ID", "1001")]
            body = stage_body(variables=predefined + variables, project_dir=self.project_dir, commands=[],
                              pre_build_script=variant.pre_build_script)
            self.write(f"scripts/{variant.name}.sh", generate_stage_script("bash", body))

    # --- running -------------------------------------------------------------------------

    def run_once(self, variant: Variant, record: bool) -> None:
        self.env_file.parent.mkdir(parents=True, exist_ok=True)
        self.env_file.write_bytes(b"")  # a new job: no credentials from an earlier run
        calls_before = self.sts.assume_count
        script = self.root / "scripts" / f"{variant.name}.sh"
        errors = self.root / "stderr.txt"
        peak = self.root / "peak-rss.txt"
        with open(script, "rb") as stdin, open(errors, "wb") as stderr:
            start = time.perf_counter_ns()
            proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(peak), "/bin/bash"], stdin=stdin,
                                    stdout=subprocess.DEVNULL, stderr=stderr, env=self.env, cwd=str(self.root))
            proc.wait()
            elapsed_ms = (time.perf_counter_ns() - start) / 1e6
        problem = None
        if proc.returncode != 0:
            problem = f"exit {proc.returncode}"
        elif self.sts.assume_count - calls_before != variant.sts_calls:
            problem = f"{self.sts.assume_count - calls_before} STS calls, expected {variant.sts_calls}"
        elif variant.expected_role and f"GITLAB_OIDC_AWS_ROLE_ARN={variant.expected_role}\n" not in self.env_file.read_text():
            problem = "the env file lacks the expected role"
        if problem:
            raise RuntimeError(f"{variant.name}: {problem}\n{errors.read_text()}")
        if record:
            variant.samples_ms.append(elapsed_ms)
            variant.rss_kb.append(int(peak.read_text().split()[-1]))

    def run(self) -> None:
        order = list(self.variants)
        for variant in order:  # warm-up: key-set cache, page cache; not recorded
            self.run_once(variant, record=False)
        shuffler = random.Random(8)
        for number in range(1, self.rounds + 1):
            shuffler.shuffle(order)
            for variant in order:
                self.run_once(variant, record=True)
            print(f"round {number}/{self.rounds} done", file=sys.stderr, flush=True)

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


# --- report --------------------------------------------------------------------------------


def command_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, timeout=60).stdout.decode()
        return out.strip().splitlines()[0] if out.strip() else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_description(load_before, load_after, binary: Path) -> list[str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))
    os_name = "?"
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; {memory_kb / 1024 / 1024:.0f} GiB memory",
        f"- system: {os_name}, Linux {platform.release()}",
        f"- load average (1/5/15 min) before: {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f};"
        f" after: {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}",
        f"- hook: `{command_version([str(binary), 'version'])}`, {binary.stat().st_size / 1e6:.1f} MB binary",
        f"- {command_version(['curl', '--version']).split(' (')[0]};"
        f" AWS CLI `{command_version([aws_cli(), '--version'])}`; Python {platform.python_version()}",
    ]


def results_markdown(bench: Bench, machine: list[str], started: str) -> str:
    stage = bench.variant("stage").median
    rows = ["| variant | median ms | min–max ms | median minus empty stage, ms | peak RSS MB |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for v in bench.variants:
        net = "—" if v.name == "stage" else f"{v.median - stage:.1f}"
        rows.append(f"| {v.label} | {v.median:.1f} | {min(v.samples_ms):.1f}–{max(v.samples_ms):.1f} | {net} |"
                    f" {max(v.rss_kb) / 1024:.1f} |")
    lines = [
        f"Run of {started} UTC: {bench.rounds} rounds, every variant once per round in a shuffled order"
        f" (plus one warm-up round, not counted).",
        "",
        *targets_markdown(bench),
        "",
        *rows,
    ]
    lines += ["", "Machine:", "", *machine, ""]
    return "\n".join(lines)


def targets_markdown(bench: Bench) -> list[str]:
    """The contract's budgets ("Speed"), each judged on the stricter of its readings where it
    has two (in the stage, and net of the empty stage)."""
    stage = bench.variant("stage").median
    hook, aws, curl = bench.variant("hook"), bench.variant("aws-cli"), bench.variant("curl")

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    in_stage = hook.median / curl.median
    net = (hook.median - stage) / (curl.median - stage)
    curl_peak, hook_peak = max(curl.rss_kb) / 1024, max(hook.rss_kb) / 1024
    rows = [
        "| budget | measured | | verdict |",
        "| --- | ---: | ---: | --- |",
        f"| an exchange at most 1.15x bare curl's wall time | {in_stage:.2f}x in the stage | {net:.2f}x net of the"
        f" empty stage | {verdict(max(in_stage, net) <= 1.15)} |",
        f"| peak memory at most curl's + 6 MB | {hook_peak:.1f} MB (curl {curl_peak:.1f} MB) |"
        f" {hook_peak - curl_peak:+.1f} MB | {verdict(hook_peak <= curl_peak + 6)} |",
    ]
    small = bench.variant("rules-10")
    for count, budget in ((10_000, 3), (100_000, 30)):
        large = bench.variant(f"rules-{count}")
        if small and large:
            added = large.median - small.median
            rows.append(f"| {count:,} rules add at most {budget} ms over 10 rules | {added:+.1f} ms | |"
                        f" {verdict(added <= budget)} |")
    speedup = aws.median / hook.median
    rows += ["", f"For reference, the hook is {speedup:.1f}x faster than the AWS CLI recipe in the stage."]
    return rows


def plot(bench: Bench, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = bench.variants
    names = [v.label for v in variants]
    medians = [v.median for v in variants]
    low = [v.median - min(v.samples_ms) for v in variants]
    high = [max(v.samples_ms) - v.median for v in variants]
    rss = [max(v.rss_kb) / 1024 for v in variants]
    colours = ["#1f77b4" if v.name.startswith(("hook", "rules", "skip")) else "#7f7f7f" for v in variants]
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 0.45 * len(variants) + 1.8), sharey=True)
    positions = range(len(variants))
    left.barh(positions, medians, xerr=[low, high], color=colours, capsize=3)
    left.set_xscale("log")
    left.set_xlim(right=max(max(v.samples_ms) for v in variants) * 2.5)
    left.set_xlabel("wall time of the stage, ms (median; bars: min–max; log scale)")
    for y, v in zip(positions, variants):
        left.text(max(v.samples_ms) * 1.12, y, f"{v.median:.1f}", va="center", fontsize=8)
    right.barh(positions, rss, color=colours)
    right.set_xlim(right=max(rss) * 1.15)
    right.set_xlabel("peak RSS, MB")
    for y, value in zip(positions, rss):
        right.text(value + 1, y, f"{value:.1f}", va="center", fontsize=8)
    left.set_yticks(list(positions), names)
    left.invert_yaxis()
    figure.suptitle(f"gitlab-oidc-aws hook in a reproduced runner stage, {bench.rounds} interleaved rounds")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def replace_between_markers(document: Path, text: str) -> None:
    begin, end = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
    content = document.read_text()
    if begin not in content or end not in content:
        raise RuntimeError(f"{document} lacks the markers {begin} / {end}")
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    document.write_text(f"{head}{begin}\n{text}\n{end}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=REPO / ".build" / "release" / "gitlab-oidc-aws")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--rules", default=",".join(map(str, RULE_COUNTS)),
                        help="comma-separated rule counts (default: %(default)s)")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "performance.md",
                        help="document whose results section is replaced")
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "performance.png")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args()

    binary = args.binary.resolve()
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="goa-bench-") as root:
        bench = Bench(binary, Path(root), args.rounds, tuple(int(n) for n in args.rules.split(",") if n))
        try:
            bench.add_variants()
            bench.run()
        finally:
            bench.stop()
    text = results_markdown(bench, machine_description(load_before, os.getloadavg(), binary), started)
    print(text)
    if not args.no_write:
        replace_between_markers(args.doc, text)
        plot(bench, args.plot)
        print(f"\nwrote {args.doc.relative_to(REPO)} and {args.plot.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
