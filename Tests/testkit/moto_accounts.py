"""Accounts at moto's server: moto's STS gives credentials of any account a role ARN names,
and moto's IAM then acts in that account, so tests can keep roles of several accounts.

    account = MotoAccount(moto_sts, "444455556666")
    account.roles({"deploy": policy_dict, "gone": None})    # exactly these roles (None: absent)
    env = dict(base_env, **account.environment)              # AWS_ACCESS_KEY_ID, ... of the account
"""

from __future__ import annotations

import json

from .boto import boto_client


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


class MotoAccount:
    """Credentials of `account` at moto (from its STS, which maps them to that account) and
    an IAM client acting in it."""

    def __init__(self, moto, account: str) -> None:
        self.account = account
        self.url = moto.url
        sts = boto_client("sts", moto.url)
        self.creds = sts.assume_role(RoleArn=role_arn(account, "auditor"), RoleSessionName="ci")["Credentials"]
        self.iam = boto_client("iam", moto.url, self.creds)

    @property
    def environment(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": self.creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": self.creds["SessionToken"]}

    def roles(self, policies: dict[str, dict | None], max_session_duration: dict[str, int] | None = None) -> None:
        """Make the account's roles exactly `policies` (name -> trust policy; None: absent)."""
        for name, policy in policies.items():
            try:
                self.iam.delete_role(RoleName=name)
            except self.iam.exceptions.NoSuchEntityException:
                pass
            if policy is not None:
                self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy),
                                     MaxSessionDuration=(max_session_duration or {}).get(name, 3600))
