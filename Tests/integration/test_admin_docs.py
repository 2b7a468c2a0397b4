"""docs/admin-commands.md shows real output: each marked block equals its golden transcript
(or the example mapping), and every command of every transcript is one the tests run."""

from __future__ import annotations

from testkit.golden import DOCS, GOLDEN_DIR, assert_doc_shows_golden, doc_blocks


def test_admin_guide_blocks_are_the_golden_output():
    assert_doc_shows_golden()


def test_admin_guide_shows_the_example_mapping_and_each_command():
    blocks = doc_blocks(DOCS.read_text())
    names = {name for kind, name, _ in blocks if kind == "golden"}
    assert ("file", "Tests/integration/golden/mapping.toml") in {(k, n) for k, n, _ in blocks}
    for command in ("check", "explain", "trust-policy", "audit"):
        assert any(name.startswith(command) for name in names), command
    assert all((GOLDEN_DIR / f"{name}.console").exists() for name in names)
