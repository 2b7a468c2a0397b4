"""boto3 clients in the test process itself (a signer and parser the hook shares nothing
with), for the STS double and moto on loopback.

    isolate_process_env(monkeypatch, tmp_path)    # no AWS settings, config files or proxies
    sts = boto_client("sts", url, creds)          # creds as boto3 returns them, or None
"""

from __future__ import annotations

import os

import boto3
from botocore.config import Config


def isolate_process_env(monkeypatch, tmp_path) -> None:
    """Hides the machine's AWS variables, config files and proxies from in-process botocore."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_PROXY", "*")


def boto_client(service: str, url: str, creds: dict | None = None, region: str = "us-east-1"):
    """A client for `url` without retries or client-side parameter checks (the server under
    test must do those); `creds` is a boto3 `Credentials` dict, or None for test keys."""
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"] if creds else "AKIDTESTING",
        aws_secret_access_key=creds["SecretAccessKey"] if creds else "testing",
        aws_session_token=creds.get("SessionToken") if creds else None, region_name=region)
    return session.client(service, endpoint_url=url,
                          config=Config(retries={"total_max_attempts": 1}, parameter_validation=False))
