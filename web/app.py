"""The app factory. Until the web issue lands, a single status page."""

from __future__ import annotations

from flask import Flask, render_template_string
from sqlmodel import func, select

from logger.services import Services
from storage.models import Evidence, Negotiation

STATUS_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Liuhen 留痕</title></head>
<body><h1>Liuhen 留痕</h1>
<p>The vault is unlocked. 保险库已解锁。</p>
<p>{{ negotiations }} negotiation(s), {{ evidence }} evidence item(s).</p>
</body></html>"""


def create_app(services: Services) -> Flask:
    """Build the web app over an unlocked data dir."""
    app = Flask(__name__)
    app.extensions["liuhen"] = services

    @app.get("/")
    def status():
        with services.session() as session:
            negotiations = session.exec(select(func.count(Negotiation.id))).one()
            evidence = session.exec(select(func.count(Evidence.id))).one()
        return render_template_string(STATUS_PAGE, negotiations=negotiations, evidence=evidence)

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return app
