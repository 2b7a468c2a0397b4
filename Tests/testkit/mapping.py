"""Mapping files for the hook (TOML), and the roles the tests map.

    write_mapping(tmp_path, text)                                            -> Path
    mapping_toml(issuer=..., sts_endpoint=..., cache_dir=..., rules=[...], **settings) -> str
"""

from __future__ import annotations

import re
from pathlib import Path

ACCOUNT = "111122223333"
PROJECT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/group-project-deploy"
PRIVILEGED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/infra-prod-admin"

DEFAULT_RULES = [
    {"name": "infra production", "role": PRIVILEGED_ROLE,
     "match": {"project_path": "platform/infra", "ref": "main", "ref_protected": True}},
    {"name": "group project", "role": PROJECT_ROLE, "match": {"project_path": "group/project"}},
]
"""The privileged rule comes first: a group/project job that poses as platform/infra
through CI_* variables must still fall through to PROJECT_ROLE."""


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def toml_value(value) -> str:
    """TOML literal for str/bool/int/float/list/dict (dict as inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{out}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def mapping_toml(*, issuer: str, sts_endpoint: str | None, cache_dir: Path | str | None,
                 rules: list[dict] = (), **settings) -> str:
    """A mapping file. Top-level `settings` in order, then one `[[rule]]` per dict (its
    `match` dict becomes a `[rule.match]` table, each dict of its `chain` list a
    `[[rule.chain]]` section, other keys plain keys)."""
    lines = [f"issuer = {toml_value(issuer)}"]
    if sts_endpoint is not None:
        lines.append(f"sts_endpoint = {toml_value(sts_endpoint)}")
    if cache_dir is not None:
        lines.append(f"cache_dir = {toml_value(str(cache_dir))}")
    for k, v in settings.items():
        lines.append(f"{toml_key(k)} = {toml_value(v)}")
    for rule in rules:
        lines += ["", "[[rule]]"]
        for k, v in rule.items():
            if k not in ("match", "chain"):
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        if "match" in rule:
            lines.append("[rule.match]")
            for k, v in rule["match"].items():
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for hop in rule.get("chain", ()):
            lines.append("[[rule.chain]]")
            for k, v in hop.items():
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
    return "\n".join(lines) + "\n"


def write_mapping(tmp_path: Path, text: str, name: str = "mapping.toml") -> Path:
    """Write `text` to `tmp_path/name` and return the path."""
    path = Path(tmp_path) / name
    path.write_text(text)
    return path


