"""The name an original downloads under (issue 19, item 9): whoever sent a file chose its name, so
`..`, `.`, a path, control or bidi characters, a device name or nothing readable must not reach
the Content-Disposition of the page's or the API's download. A readable name stays, Chinese
included (RFC 5987 `filename*`); nothing readable left gives `evidence-<id>.<ext>`."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

import pytest

from logger.tokens import create_token
from storage.models import Evidence
from tests.support.uploads import post_files
from tests.support.web import new_browser, sign_in

# (name as uploaded, what intake may keep of it): intake already drops paths and control
# characters, so the rest are written into the row as another source (mail-in, an email's
# attachment, an older version) could have stored them.
UPLOADED = ["..", ".", "...", "../..", "..\\..", "../x/..", " .. ", "....txt"]
STORED = ["..", ".", "", "   ", "../../etc/passwd", "..\\..\\boot.ini", "a/b/..", "x\x00y.txt",
          "\x1b[31mred.txt", "invoice\u202efdp.exe", "\u200b", "CON", "con.txt", "LPT1.pdf",
          'a"b\\c.txt', "a:b*c?.txt", "line\nbreak.txt", "\r\n", "name.", "  spaced  .txt",
          "x" * 400 + ".pdf", "通" * 150 + ".m4a", ".hidden"]
READABLE = {"通话录音 13800138000 20241203_153012.m4a": "通话录音 13800138000 20241203_153012.m4a",
            "还款协议.pdf": "还款协议.pdf", "notice.eml": "notice.eml",
            "../x/还款.txt": "还款.txt"}
CONTENT = "我下周三前还五千。".encode()


def disposition(header: str) -> tuple[str, str | None]:
    """(filename, filename* decoded) of a Content-Disposition header."""
    plain = re.search(r'filename="([^"]*)"', header) or re.search(r"filename=([^;\s]+)", header)
    extended = re.search(r"filename\*=UTF-8''([^;\s]+)", header, re.IGNORECASE)
    assert plain, header
    return plain.group(1), unquote(extended.group(1)) if extended else None


def unsafe(name: str) -> str | None:
    """Why a browser or a file system would trip on `name`; None if it is safe to save."""
    if not name.strip(" ."):
        return "nothing but dots and spaces"
    if name.startswith((".", " ")) or name.endswith((".", " ")):
        return "starts or ends with a dot or a space"
    if any(ch in name for ch in '/\\<>:"|?*'):
        return "holds a path separator or a reserved character"
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        return "holds a control or format character"
    if name.split(".")[0].upper() in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}:
        return "is a Windows device name"
    if len(name.encode("utf-8")) > 255:
        return "is longer than 255 bytes"
    return None


@pytest.fixture
def browser(app, owner):
    return sign_in(new_browser(app), "owner", "owner-password")


@pytest.fixture
def api(app, session, owner):
    token = create_token(session, owner, "phone")[1]
    client = app.test_client(use_cookies=False)
    return lambda path: client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def upload(browser, negotiation, name: str, n: int) -> int:
    reply = post_files(browser, negotiation.id, [(name, CONTENT + str(n).encode())])
    result = reply.get_json()["results"][0]
    assert result["status"] == "stored", result
    return result["evidence_id"]


def store_as(session, evidence_id: int, name: str) -> None:
    item = session.get(Evidence, evidence_id)
    item.original_filename = name
    session.add(item)
    session.commit()


def names_served(browser, api, evidence_id: int) -> list[str]:
    served = []
    for reply in (browser.get(f"/evidence/{evidence_id}/original"),
                  api(f"/evidence/{evidence_id}/original")):
        assert reply.status_code == 200 and reply.data.startswith(CONTENT)
        header = reply.headers["Content-Disposition"]
        assert header.startswith("attachment")
        plain, extended = disposition(header)
        assert plain.isascii()
        served += [plain] + ([extended] if extended is not None else [])
    return served


def test_hostile_names_never_reach_the_download(browser, api, session, negotiation):
    problems = []
    items = [(name, upload(browser, negotiation, name, n)) for n, name in enumerate(UPLOADED)]
    for n, name in enumerate(STORED, start=len(items)):
        evidence_id = upload(browser, negotiation, f"note-{n}.txt", n)
        store_as(session, evidence_id, name)
        items.append((name, evidence_id))
    for name, evidence_id in items:
        for served in names_served(browser, api, evidence_id):
            why = unsafe(served)
            if why:
                problems.append(f"{name!r} (#{evidence_id}) downloads as {served!r}: {why}")
    assert problems == []


def test_a_name_with_nothing_readable_falls_back_to_the_items_number(browser, api, session,
                                                                     negotiation):
    evidence_id = upload(browser, negotiation, "..", 1)
    assert set(names_served(browser, api, evidence_id)) == {f"evidence-{evidence_id}.txt"}


def test_a_readable_name_is_kept_chinese_included(browser, api, session, negotiation):
    for n, (name, shown) in enumerate(READABLE.items()):
        evidence_id = upload(browser, negotiation, "x.txt", n)
        store_as(session, evidence_id, name)
        plain, extended, api_plain, api_extended = names_served(browser, api, evidence_id)
        assert extended == api_extended == shown
        assert plain == api_plain == (shown if shown.isascii() else
                                      f"evidence-{evidence_id}{shown[shown.rfind('.'):]}")


def test_a_long_name_is_shortened_keeping_its_extension(browser, api, session, negotiation):
    evidence_id = upload(browser, negotiation, "x.txt", 1)
    store_as(session, evidence_id, "还" * 150 + ".m4a")
    for served in names_served(browser, api, evidence_id):
        assert served.endswith(".m4a") and len(served.encode("utf-8")) <= 255
