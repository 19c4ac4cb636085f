"""Every format reads into a title and clean, headed sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.knowledge.sources import UnreadableDocument, read_document
from tests.knowledge.conftest import SHIPPED_KB


def headings(path: Path) -> list[str]:
    return [s.heading for s in read_document(path).sections]


def test_markdown_title_sections_and_tables(tmp_path: Path) -> None:
    doc = tmp_path / "policy.md"
    doc.write_text(
        "# Travel Policy\n\nOwner: Finance\n\n## Hotels\n\nLimits are **per night**.\n\n"
        "| City | Limit |\n|---|---|\n| Dhaka | BDT 6,000 |\n\n"
        "### Abroad\n\nSee [the list](x.md).\n"
    )
    source = read_document(doc)
    assert source.title == "Travel Policy"
    assert [s.heading for s in source.sections] == ["", "Hotels", "Abroad"]
    hotels = source.sections[1].text
    assert "Limits are per night." in hotels
    assert "City | Limit" in hotels and "Dhaka | BDT 6,000" in hotels
    assert "---" not in hotels
    assert source.sections[2].parents == ("Hotels",)
    assert source.sections[2].text == "See the list."


def test_plain_text_numbered_headings_run_in_sequence(tmp_path: Path) -> None:
    doc = tmp_path / "leave.txt"
    doc.write_text(
        "LEAVE POLICY\n\n1. SCOPE\n\nAll staff.\n\n2. SICK LEAVE\n\nSteps:\n"
        "1. Tell your manager\n2. Send a certificate\n\n3. HOLIDAYS\n\nEleven days.\n"
    )
    source = read_document(doc)
    assert source.title == "LEAVE POLICY"
    # the numbered steps inside section 2 are list items, not headings
    assert [s.heading for s in source.sections] == ["1. SCOPE", "2. SICK LEAVE", "3. HOLIDAYS"]
    assert "1. Tell your manager" in source.sections[1].text


def test_underlined_headings_in_plain_text() -> None:
    names = headings(SHIPPED_KB / "global/month-end-closing-checklist.txt")
    assert "Bank reconciliations (WD2)" in names and "Exceptions" in names


def test_html_keeps_the_content_and_drops_the_site_chrome() -> None:
    source = read_document(SHIPPED_KB / "padma/procurement-policy.html")
    text = "\n".join(s.text for s in source.sections)
    assert source.title == "Procurement Policy"
    assert "Three-way matching" in [s.heading for s in source.sections]
    assert "Up to 50,000 | One quotation" in text
    for chrome in ("Sign out", "DOMContentLoaded", "font-family", "HR & Leave"):
        assert chrome not in text


def test_pdf_headings_and_no_repeated_page_furniture() -> None:
    source = read_document(SHIPPED_KB / "global/data-protection-and-privacy-policy.pdf")
    text = "\n".join(s.text for s in source.sections)
    assert source.title == "Group Data Protection and Privacy Policy"
    assert "5. Retention periods" in [s.heading for s in source.sections]
    assert "Page 2 of 3" not in text and "Group Legal and Compliance - Internal" not in text


@pytest.mark.parametrize("name", ["empty.md", "notes.docx", "broken.pdf"])
def test_unreadable_files_are_reported(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 garbage" if name.endswith(".pdf") else b"")
    with pytest.raises(UnreadableDocument):
        read_document(path)
