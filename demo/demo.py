"""The local demo behind demo/run.sh: one CI job, end to end, on 127.0.0.1 only.

    python3 demo/demo.py /path/to/gitlab-oidc-aws

GitLab's part is played by a local OIDC issuer that signs the job's ID token; AWS STS by
moto. The job runs through a reproduction of the stage script GitLab Runner generates, with
the runner's two-line pre_build_script, exactly as on a shell executor.
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path



from testkit.env import isolated_env
from testkit.hook import pre_build_script
from testkit.issuer import OIDCIssuer
from testkit.keys import KeyPool
from testkit.mapping import mapping_toml
from testkit.moto_sts import MotoServer
from testkit.runner_stage import RunnerJob

ROLE = "arn:aws:iam::123456789012:role/demo-app-deploy"
PROJECT = "demo/app"


def step(number: int, text: str) -> None:
    print(f"\n== {number}. {text}", flush=True)


def indent(text: str) -> str:
    return textwrap.indent(text.rstrip("\n"), "   ") + "\n"


def main(binary: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="gitlab-oidc-aws-demo-") as scratch:
        root = Path(scratch)
        moto = MotoServer()
        step(1, "starting a local OIDC issuer (GitLab's part) and moto (AWS STS's part)")
        with OIDCIssuer(KeyPool(1)) as issuer:
            moto.start()
            try:
                print(f"   issuer: {issuer.url}   (serves discovery and its signing keys)")
                print(f"   STS:    {moto.url}   (moto)")
                return run_job(binary, root, issuer, moto)
            finally:
                moto.stop()


def run_job(binary: Path, root: Path, issuer: OIDCIssuer, moto: MotoServer) -> int:
    step(2, "the administrator's mapping file")
    mapping = root / "oidc-aws.toml"
    mapping.write_text(mapping_toml(
        issuer=issuer.url, sts_endpoint=moto.url, cache_dir=root / "cache",
        rules=[{"name": "demo deploys", "role": ROLE,
                "match": {"project_path": PROJECT, "ref": "main", "ref_protected": True}}]))
    (root / "cache").mkdir()
    print(indent(mapping.read_text()), end="")

    step(3, "the runner's pre_build_script (config.toml)")
    script = pre_build_script(binary, mapping)
    print(indent(script), end="")

    step(4, f"a pipeline of {PROJECT} on its protected main branch; the job's ID token says so")
    token = issuer.mint(project_path=PROJECT, ref="main", ref_protected=True)
    claims = issuer.claims(project_path=PROJECT, ref="main", ref_protected=True)
    for name in ("iss", "aud", "sub", "project_path", "ref", "ref_protected", "job_id"):
        print(f"   {name} = {claims[name]}")
    print("   (the token itself is a secret and is never printed)")

    step(5, "the job runs: stage script -> pre_build_script -> the job's own command")
    job = RunnerJob(root / "runner", isolated_env(root), project_path=PROJECT)
    # What `id_tokens: AWS_ID_TOKEN: aud: sts.amazonaws.com` gives a real job, and a CI/CD
    # variable that points the AWS CLI at moto instead of AWS.
    job.variables.update(AWS_ID_TOKEN=token, AWS_ENDPOINT_URL_STS=moto.url)
    result = job.step_script(["aws sts get-caller-identity"], script)
    print("   --- job log: standard output ---")
    print(indent(result.stdout), end="")
    print("   --- job log: standard error (the hook's one line) ---")
    print(indent(result.stderr), end="")
    print("   ---")

    if result.returncode != 0:
        print(f"\nThe job failed (exit {result.returncode}).", file=sys.stderr)
        return 1
    if f"assumed-role/{ROLE.rsplit('/', 1)[1]}/" not in result.stdout:
        print("\nThe job ran, but not as the mapped role.", file=sys.stderr)
        return 1
    step(6, "done")
    print(f"   The job is {ROLE.rsplit('/', 1)[1]} (assumed through STS AssumeRoleWithWebIdentity),")
    print("   with no secret stored anywhere. Everything is stopped now.")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: demo.py /path/to/gitlab-oidc-aws")
    sys.exit(main(Path(sys.argv[1]).resolve()))
