"""Source links and streamed answers, on the Rasa server's side (no servers started).

The end-to-end tests (tests/e2e/test_knowledge*.py) go over real HTTP; these
pin the decisions: who may open which document, what the page escapes, and
that streamed chunks reach the client in order and before the final messages.
"""

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.auth import sign_link, sign_stream_chunk, verify_stream_chunk  # noqa: E402
from connectors.knowledge_pages import (  # noqa: E402
    LinkRefused,
    authorise,
    checked_path,
    inside,
    render_page,
)
from connectors.streaming import StreamClosed, TokenRelay, parse_chunk, relay_while  # noqa: E402

SECRET = b"test-secret"


def link_args(path: str, company: str, expires: int) -> dict:
    return {
        "company": company,
        "expires": str(expires),
        "signature": sign_link(SECRET, path, company, expires),
    }


def test_a_signed_link_opens_its_own_and_global_documents() -> None:
    later = int(time.time()) + 60
    own = "padma/travel-and-expenses.md"
    assert authorise(SECRET, own, link_args(own, "padma", later)) == own
    shared = "global/how-to-post-an-invoice.md"
    assert authorise(SECRET, shared, link_args(shared, "northwind", later)) == shared


@pytest.mark.parametrize(
    ("path", "args", "status"),
    [
        # signed for northwind, for a padma document: the company check refuses it
        ("padma/leave-policy.txt", ("padma/leave-policy.txt", "northwind", 60), 403),
        # a valid signature for one document does not open another
        ("padma/leave-policy.txt", ("padma/travel-and-expenses.md", "padma", 60), 403),
        ("padma/leave-policy.txt", ("padma/leave-policy.txt", "padma", -1), 403),  # expired
        ("padma/../northwind/x.md", ("padma/../northwind/x.md", "padma", 60), 404),
        ("/etc/passwd", ("/etc/passwd", "padma", 60), 404),
        ("leave-policy.txt", ("leave-policy.txt", "padma", 60), 404),  # no company folder
    ],
)
def test_links_that_do_not_open(path: str, args: tuple, status: int) -> None:
    signed_path, company, delta = args
    with pytest.raises(LinkRefused) as refused:
        authorise(SECRET, path, link_args(signed_path, company, int(time.time()) + delta))
    assert refused.value.status == status


def test_incomplete_links_are_refused_clearly() -> None:
    with pytest.raises(LinkRefused, match="names no company"):
        authorise(SECRET, "padma/a.md", {"expires": "1", "signature": "x"})
    with pytest.raises(LinkRefused, match="no expiry"):
        authorise(SECRET, "padma/a.md", {"company": "padma", "expires": "soon"})


def test_paths_stay_inside_their_folder(tmp_path: Path) -> None:
    assert checked_path("global/a b.md") == "global/a b.md"
    with pytest.raises(LinkRefused):
        checked_path("global/./a.md")
    (tmp_path / "pages").mkdir()
    (tmp_path / "escape").symlink_to(tmp_path)
    with pytest.raises(LinkRefused):
        inside(tmp_path / "pages", "../escape/secret.json")


def test_the_page_escapes_document_text_and_keeps_anchors_and_tables() -> None:
    page = {
        "title": "Travel <script>alert(1)</script>",
        "sections": [
            {"heading": "", "parents": [], "anchor": "top", "text": "Intro & scope."},
            {
                "heading": "Accommodation",
                "parents": [],
                "anchor": "accommodation",
                "text": "City | M1 | M2\nDhaka | BDT 15,000 | BDT 10,000\n- Receipts needed",
            },
        ],
    }
    rendered = render_page(page, "/knowledge/x?original=1")
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert '<h2 id="accommodation">Accommodation</h2>' in rendered
    assert "<th>City</th>" in rendered and "<td>BDT 15,000</td>" in rendered
    assert "<li>Receipts needed</li>" in rendered and "Intro &amp; scope." in rendered


def test_stream_chunks_are_signed_and_checked() -> None:
    body = json.dumps({"stream": "abc", "text": "Hotel"}).encode()
    assert verify_stream_chunk(SECRET, body, sign_stream_chunk(SECRET, body))
    assert not verify_stream_chunk(SECRET, body + b" ", sign_stream_chunk(SECRET, body))
    assert not verify_stream_chunk(b"other", body, sign_stream_chunk(SECRET, body))
    assert parse_chunk({"stream": "abc", "text": "Hotel"}) == ("abc", "Hotel")
    for bad in ([], {"stream": "", "text": "x"}, {"stream": "a", "text": ""}, {"stream": "a"}):
        with pytest.raises(ValueError):
            parse_chunk(bad)


def test_tokens_are_relayed_in_order_and_before_the_answer_ends() -> None:
    async def scenario() -> list[str]:
        relay = TokenRelay()
        stream_id = relay.open()
        sent: list[str] = []

        async def handling() -> None:
            # as the action server does: chunks arrive while the message is handled
            for word in ("The ", "hotel ", "limit "):
                relay.push(stream_id, word)
                await asyncio.sleep(0.01)
            relay.push(stream_id, "is BDT 12,000.")  # the last, just before the action ends
            sent.append("<handled>")

        async def send(chunk: str) -> None:
            sent.append(chunk)

        await relay_while(relay, stream_id, handling(), send)
        relay.close(stream_id)
        with pytest.raises(StreamClosed):
            relay.push(stream_id, "late")
        return sent

    sent = asyncio.run(scenario())
    assert "".join(c for c in sent if c != "<handled>") == "The hotel limit is BDT 12,000."
    assert sent.index("<handled>") >= 3  # the first three went out while handling ran
