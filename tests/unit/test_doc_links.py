"""The docs stand alone: every relative link in README.md and docs/*.md resolves (the file
exists, and a `#anchor` names a heading of its target, slugged as GitHub slugs headings), and no
file the repository tracks outside tests/ cites a document that is not in it (the product spec
that lives beside the repository, or anything under `../shared`)."""

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def links(text: str) -> list[tuple[int, str]]:
    """Every inline link's target (and image's), with its line; code spans are not links."""
    found = []
    for number, line in _prose_lines(text):
        for match in _LINK.finditer(_INLINE_CODE.sub("", line)):
            found.append((number, match.group(1)))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text: the rendered text (links by their text, no code or
    emphasis marks) lower-cased, every character but letters, digits, `_`, `-` and spaces
    removed, spaces made hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = "".join(char for char in text.lower() if char.isalnum() or char in "_- ")
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of a Markdown document's headings; a repeated slug gets `-1`, `-2`, ..."""
    seen: Counter[str] = Counter()
    found = set()
    for _, line in _prose_lines(text):
        match = _HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(2))
        found.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def broken_links(document: Path, root: Path = REPO) -> list[str]:
    """What is wrong with the relative links of `document`, a file of the repository `root`,
    one line each."""
    problems = []
    for number, target in links(document.read_text()):
        if _EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        where = f"{document.relative_to(root)}:{number}: {target}"
        resolved = (document.parent / path_part).resolve() if path_part else document
        if root not in (resolved, *resolved.parents):
            problems.append(f"{where}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{where}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
            problems.append(f"{where}: no heading #{anchor} in {resolved.name}")
        elif anchor and resolved.suffix != ".md":
            problems.append(f"{where}: an anchor into a file that is not Markdown")
    return problems


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_relative_link_resolves(document: Path) -> None:
    assert not broken_links(document), "\n".join(broken_links(document))


def test_the_docs_are_linked_from_the_readme() -> None:
    linked = {target.partition("#")[0] for _, target in links((REPO / "README.md").read_text())}
    missing = [p.name for p in DOCUMENTS[1:] if f"docs/{p.name}" not in linked]
    assert not missing, f"README.md links no page {missing}"


def test_the_link_check_catches_what_it_should(tmp_path: Path) -> None:
    """The checker itself: GitHub's slugs, code left alone, and each kind of broken link."""
    assert slug("Offline evaluation (`make evaluate`)") == "offline-evaluation-make-evaluate"
    assert (
        slug("SnapStart: cold starts users never feel") == "snapstart-cold-starts-users-never-feel"
    )
    assert slug("The [API](api.md) at a glance") == "the-api-at-a-glance"
    assert anchors("# A\n## A\n```\n# B\n```\n") == {"a", "a-1"}
    text = (
        "[x](a.md) `[y](b.md)` ![i](c.png) [web](https://example.com) [s](#top)\n```\n[z](d.md)\n"
    )
    assert [target for _, target in links(text)] == ["a.md", "c.png", "https://example.com", "#top"]

    root = tmp_path.resolve() / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "api.md").write_text("# The API\n## HTTP caching\n")
    (root / "outside.md").write_text("")
    page = root / "docs" / "page.md"
    page.write_text("[ok](api.md#http-caching) [self](#top) [up](../outside.md)\n# Top\n")
    assert broken_links(page, root) == []
    page.write_text("[gone](nowhere.md) [anchor](api.md#no-such-heading) [out](../../x.md)\n")
    problems = broken_links(page, root)
    assert [p.rsplit(": ", 1)[1] for p in problems] == [
        "no such file",
        "no heading #no-such-heading in api.md",
        "outside the repository",
    ]


# --- no citation of documents outside the repository ----------------------------------------

OUTSIDE_DOCUMENT = re.compile(r"\bSPEC\b|\.\./shared\b")
"""The product spec (`SPEC 3.9`, `SPEC.md`, `SPEC section 4`) and the folder beside the
repository that holds it; the tests alone may read that folder's data."""


def tracked_files() -> list[Path]:
    """The files git tracks outside tests/, and the new ones it would (binary files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    files = []
    for name in filter(None, listed.split("\0")):
        path = REPO / name
        if name.startswith("tests/") or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" not in data[:8192]:
            files.append(path)
    return files


def citations(path: Path) -> list[str]:
    text = path.read_text(errors="replace")
    return [
        f"{path.relative_to(REPO)}:{number}: {line.strip()[:120]}"
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE_DOCUMENT.search(line)
    ]


def test_no_tracked_file_cites_a_document_outside_the_repository() -> None:
    files = tracked_files()
    names = {path.relative_to(REPO).as_posix() for path in files}
    assert {"README.md", "template.yaml", "Makefile", "docs/architecture.md"} <= names
    assert any(
        name.startswith(("layers/", "etl/", "functions/", "local/", "bench/")) for name in names
    )
    found = [line for path in files for line in citations(path)]
    assert not found, "cite docs/ instead:\n" + "\n".join(found)


def test_the_citation_check_catches_both_forms(tmp_path: Path) -> None:
    cited = tmp_path / "cited.py"
    cited.write_text('"""Ids (SPEC 3.1)."""\n# see ../shared/data/README.md\n# a spec, specs\n')
    assert [bool(OUTSIDE_DOCUMENT.search(line)) for line in cited.read_text().splitlines()] == [
        True,
        True,
        False,
    ]
