"""A displayed email's links are inert (issue 19, item 9): a collector's or a phisher's link is
shown as its words and, as text, the address it led to; no `<a href>` (nor any other attribute
that navigates or fetches) reaches the sandboxed frame, remote images stay blocked, and the frame
keeps its sandbox and its own CSP. Checked through the real app with a hostile email built here
and a real spam email from the shared test inputs."""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from tests.support.uploads import post_files
from tests.support.web import new_browser, sign_in, visible_text

HOSTILE_HTML = """
<base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=https://evil.example/refresh">
<link rel="stylesheet" href="https://evil.example/x.css">
<p>请点击<a href="https://pay.evil.example/login?id=1&amp;r=2">这里付款</a>，否则后果自负。</p>
<p><a href="//evil.example/protocol-relative">protocol-relative</a>
<a href=" javascript:alert(1)">js</a> <A HREF="HTTPS://EVIL.EXAMPLE/CAPS">caps</A>
<a href="https://evil.example/top" target="_top">top</a>
<a href="https://evil.example/blank" target="_blank" rel="opener">blank</a>
<a href="relative/path">relative</a> <a href="#anchor">anchor</a>
<a href="mailto:collector@evil.example">mail the collector</a>
<a href="tel:+8613800138000">call</a>
<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">data</a>
<a href="https://evil.example/nested"><b>bold <i>link</i></b></a>
<a href="https://evil.example/img"><img src="https://tracker.example/in-link.gif" alt="pic"></a>
</p>
<map name="m"><area href="https://evil.example/area" shape="rect" coords="0,0,9,9"></map>
<img src="https://tracker.example/p.gif" usemap="#m" alt="logo">
<img srcset="https://tracker.example/s.png 2x" alt="srcset">
<table background="https://tracker.example/t.png"><tr><td>表格</td></tr></table>
<video poster="https://tracker.example/v.png"></video>
<form action="https://evil.example/post"><button formaction="https://evil.example/b">go</button>
<input name="pw"></form>
<svg><a xlink:href="https://evil.example/svg"><text>svg link</text></a></svg>
<math><a href="https://evil.example/math">math link</a></math>
<div style="background:url(https://tracker.example/bg.png)">背景</div>
<img src="cid:seal@x" alt="seal">
"""
# Attributes that navigate, submit or fetch when the frame is shown or clicked.
ACTIVE = {"href", "src", "srcset", "action", "formaction", "xlink:href", "background", "poster",
          "data", "longdesc", "cite", "usemap", "ping", "content", "target", "style"}


def hostile_email() -> bytes:
    message = EmailMessage()
    message["From"] = "催收中心 <collect@evil.example>"
    message["To"] = "me@example.com"
    message["Subject"] = "付款链接"
    message["Date"] = "Tue, 03 Dec 2024 15:30:00 +0800"
    message.set_content("请点击 https://pay.evil.example/login 付款。")
    message.add_alternative(HOSTILE_HTML, subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image",
                                         subtype="png", cid="<seal@x>")
    return message.as_bytes()


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def live_attributes(html: str) -> list[str]:
    """Every tag or attribute in the frame's document that could lead anywhere: links, areas,
    forms, frames, base/meta/link, and any navigating or fetching attribute other than an
    inline image's own data: URL."""
    parser = _Tags()
    parser.feed(html)
    found = []
    for tag, attrs in parser.tags:
        if tag in ("a", "area") and "href" in attrs:
            found.append(f"<{tag} href={attrs['href']!r}>")
        if tag in ("base", "link", "form", "iframe", "frame", "object", "embed", "script",
                   "button", "input") or (tag == "meta" and set(attrs) != {"charset"}):
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name not in ACTIVE or (tag == "img" and name == "src"
                                      and (value or "").startswith("data:image/")):
                continue
            found.append(f"<{tag} {name}={value!r}>")
    return found


@pytest.fixture
def browser(app, owner, session):
    return sign_in(new_browser(app), "owner", "owner-password")


def upload(browser, negotiation, name: str, data: bytes) -> int:
    result = post_files(browser, negotiation.id, [(name, data)]).get_json()["results"][0]
    assert result["status"] == "stored", result
    return result["evidence_id"]


def assert_sandboxed(browser, item: int) -> str:
    """The item's page frames the HTML body with an empty sandbox, and the body is served under
    its own CSP sandbox; returns the body."""
    page = browser.get(f"/evidence/{item}?body=html").get_data(as_text=True)
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert 'sandbox=""' in frame and 'referrerpolicy="no-referrer"' in frame
    assert f'src="/evidence/{item}/email-body?body=html"' in frame
    body = browser.get(f"/evidence/{item}/email-body?body=html")
    csp = body.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert re.search(r"(^|;)\s*sandbox\s*(;|$)", csp), csp
    assert "script-src" not in csp and "allow-" not in csp
    return body.get_data(as_text=True)


def test_a_hostile_emails_links_are_inert_and_their_addresses_shown(browser, negotiation):
    item = upload(browser, negotiation, "links.eml", hostile_email())
    html = assert_sandboxed(browser, item)
    assert live_attributes(html) == []
    assert "tracker.example" not in html   # remote images and backgrounds stay blocked
    assert 'src="data:image/png;base64,' in html   # the inline image, resolved locally
    text = " ".join(visible_text(html))
    assert "这里付款" in text and "https://pay.evil.example/login?id=1&r=2" in text
    for address in ("//evil.example/protocol-relative", "HTTPS://EVIL.EXAMPLE/CAPS",
                    "mailto:collector@evil.example", "https://evil.example/nested"):
        assert address in text, address
    assert "javascript:" not in html and "data:text/html" not in html
    assert "bold" in text and "表格" in text


def test_a_real_spam_emails_links_are_inert(browser, negotiation, testdata):
    spam = (testdata / "email" / "spamscope_mail_malformed_3_html_only_bad_boundary.eml")
    item = upload(browser, negotiation, spam.name, spam.read_bytes())
    html = assert_sandboxed(browser, item)
    assert live_attributes(html) == []   # its remote images included
    assert "<img" in html and "&lt;http://calorsolar.tk" in html   # the address, as text


@pytest.mark.parametrize("language, warning", [
    ("zh", "链接在此无法打开"), ("en", "links cannot be opened from here")])
def test_the_page_says_links_are_not_followed(app, owner, session, negotiation, language,
                                              warning):
    owner.locale = language
    session.add(owner)
    session.commit()
    browser = sign_in(new_browser(app, language=language), "owner", "owner-password")
    item = upload(browser, negotiation, "links.eml", hostile_email())
    page = browser.get(f"/evidence/{item}?body=html").get_data(as_text=True)
    assert warning in " ".join(visible_text(page))
