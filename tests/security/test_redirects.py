"""No open redirect: a `next` target that came with the request is followed only when it is a
path on this site however a browser reads the Location header (issue 19, item 2). Each target
below is a known way past naive checks; it is sent through the real app on the sign-in POST, the
sign-in page of a signed-in browser, the language switcher and an item's details form."""

from __future__ import annotations

from urllib.parse import urlencode, urljoin, urlsplit

from tests.support.uploads import post_files
from tests.support.web import csrf, new_browser, post_form, sign_in

ORIGIN = "http://127.0.0.1:8000/"

BYPASSES = [
    "//evil.example", "////evil.example", "////127.0.0.1:8209/x", "///evil.example",
    "/\\evil.example", "/\\/evil.example", "\\/\\/evil.example", "\\\\evil.example",
    "/%2F%2Fevil.example", "/%2f/evil.example", "/%5Cevil.example", "/%5C%5Cevil.example",
    "/%252F%252Fevil.example", "%2F%2Fevil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/%09/evil.example",
    "/%0a/evil.example", "/%00/evil.example", "\x00//evil.example", "/\u200b/evil.example",
    " //evil.example", "\t//evil.example", "/ /evil.example",
    "https:evil.example", "https://evil.example", "HTTPS://evil.example", "http:/evil.example",
    "//evil.example/%2F..", "javascript:alert(1)", "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>", "evil.example",
    "/.//evil.example", "/%2e//evil.example", "/%2e%2e//evil.example", "/a/..//evil.example",
    "／／evil.example", "/／evil.example", "/%EF%BC%8Fevil.example", "＼＼evil.example",
    "/\u3000/evil.example", "/%E3%80%80/evil.example",
]
# Same-origin paths that stay as they are (a look-alike dot in a path is only a path).
KEPT = {"/negotiations/1": "/negotiations/1", "/search?q=%E4%B8%AD": "/search?q=%E4%B8%AD",
        "/search?q=//evil.example": "/search?q=//evil.example",
        "/%E3%80%82evil.example": "/%E3%80%82evil.example",
        "/search?q=中文": "/search?q=%E4%B8%AD%E6%96%87"}


def browser_reading(location: str) -> str:
    """The Location as a browser's URL parser reads it for an http page: surrounding C0
    controls and spaces stripped, tabs and newlines removed, backslashes as slashes."""
    text = location.strip("".join(map(chr, range(0x21))))
    return "".join(ch for ch in text if ch not in "\t\n\r").replace("\\", "/")


def problem(reply, target: str) -> str | None:
    """Why the reply's Location could take a browser off this site; None when it cannot."""
    if reply.status_code not in (302, 303):
        return f"{target!r}: status {reply.status_code}"
    location = reply.headers["Location"]
    if not location.startswith("/") or location[1:2] in ("/", "\\") or \
            not all(0x21 <= ord(ch) < 0x7f for ch in location):
        return f"{target!r} -> Location {location!r}"
    for reading in (location, browser_reading(location)):
        resolved = urlsplit(urljoin(ORIGIN, reading))
        if (resolved.scheme, resolved.netloc) != ("http", "127.0.0.1:8000") or \
                resolved.path.startswith("//"):
            return f"{target!r} -> Location {location!r} -> {resolved.geturl()}"
    return None


def sign_in_to(app, target: str):
    browser = new_browser(app)
    return browser.post("/login?" + urlencode({"next": target}),
                        data={"name": "owner", "password": "owner-password",
                              "csrf_token": csrf(browser)})


def test_signing_in_never_sends_the_browser_to_another_site(app, owner):
    problems = [problem(sign_in_to(app, target), target) for target in BYPASSES]
    assert [p for p in problems if p] == []


def test_a_signed_in_browser_is_not_sent_to_another_site(app, owner):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    problems = [problem(browser.get("/login?" + urlencode({"next": target})), target)
                for target in BYPASSES]
    assert [p for p in problems if p] == []


def test_the_language_switcher_does_not_send_the_browser_away(app, owner):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    problems = [problem(post_form(browser, "/settings/language",
                                  {"lang": "zh", "next": target}), target)
                for target in BYPASSES]
    assert [p for p in problems if p] == []


def test_saving_an_items_details_does_not_send_the_browser_away(app, owner, negotiation):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    reply = post_files(browser, negotiation.id, [("note.txt", "我下周三前还五千。".encode())])
    evidence_id = reply.get_json()["results"][0]["evidence_id"]
    problems = [problem(post_form(browser, f"/evidence/{evidence_id}/details",
                                  {"note": f"checked {n}", "next": target}), target)
                for n, target in enumerate(BYPASSES)]
    assert [p for p in problems if p] == []


def test_a_path_on_this_site_is_followed(app, owner):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    for target, location in KEPT.items():
        signing_in = sign_in_to(app, target)
        assert problem(signing_in, target) is None
        assert signing_in.headers["Location"] == location
        assert browser.get("/login?" + urlencode({"next": target})).headers["Location"] == \
            location


def test_the_sign_in_gate_brings_the_browser_back_where_it_was(app, negotiation):
    visitor = new_browser(app)
    reply = visitor.get(f"/negotiations/{negotiation.id}/promises?x=1")
    back = urlsplit(reply.headers["Location"])
    assert back.path == "/login"
    signed = visitor.post(f"/login?{back.query}",
                          data={"name": "owner", "password": "owner-password",
                                "csrf_token": csrf(visitor)})
    assert signed.headers["Location"] == f"/negotiations/{negotiation.id}/promises?x=1"
