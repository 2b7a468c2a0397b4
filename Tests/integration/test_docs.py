"""The documentation covers every mapping key, and its relative links and anchors resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOADER = REPO / "Sources" / "GitLabOIDCAWS" / "Config" / "MappingLoader.swift"
DOCS = [REPO / "docs" / name for name in (
    "admin-guide.md", "pipeline-authors.md", "troubleshooting.md", "exit-codes.md", "upgrading.md",
    "how-it-works.md", "role-chaining.md", "admin-commands.md")]


def swift_string_list(name: str) -> list[str]:
    """The string literals of `static let NAME = [...]` in MappingLoader.swift."""
    match = re.search(rf"static let {name} = \[(.*?)\]", LOADER.read_text(), re.S)
    assert match, name
    return re.findall(r'"([^"]+)"', match.group(1))


def table_keys(text: str, heading: str) -> set[str]:
    """Keys in the first column of the table under `heading`."""
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)`", section, re.M))


def test_admin_guide_documents_every_mapping_key():
    text = (REPO / "docs" / "admin-guide.md").read_text()
    top = set(swift_string_list("topLevelKeys")) - {"rule"}
    assert top <= table_keys(text, "### Top-level keys"), top - table_keys(text, "### Top-level keys")
    rule = set(swift_string_list("ruleKeys"))
    assert rule <= table_keys(text, "### Rule keys"), rule - table_keys(text, "### Rule keys")
    chain = set(swift_string_list("chainKeys"))
    documented = table_keys(text, "#### Chain keys") | {"session_policy", "policy_arns"}
    assert chain <= documented, chain - documented


def slug(heading: str) -> str:
    """GitLab's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#+ (.+)$", path.read_text(), re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(doc):
    for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
        if re.match(r"[a-z]+://", target):
            continue
        file, _, anchor = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        assert path.exists(), f"{doc.name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{doc.name}: {target}"
