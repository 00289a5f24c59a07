"""The timeline of one negotiation, the heart of the app: every line in time order (evidence,
imported calls, promises, payments, sent reminders, with their flags:
`logger.record.timeline.read_timeline`),
grouped by day in the negotiation's time zone, filtered by channel and direction, paged by keyset
cursors, with a small JSON endpoint the page polls while jobs are running."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from logger.record.timeline import (DEFAULT_PAGE_SIZE, Cursor, ItemKind, Order,
                                    cursor_for_day, group_by_day, job_states, read_timeline)
from logger.sharing import has_helpers
from storage.models import Channel, Direction, Evidence, User
from web.access import db, negotiation_for
from web.findings.view import default_zone, line_flags, report_for
from web.jobstatus import job_json, job_label
from web.zone import zone_of

bp = Blueprint("timeline", __name__)

MAX_POLLED_IDS = 200


@bp.get("/negotiations/<int:negotiation_id>")
def show(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "view")
    tz = zone_of(negotiation)
    order = _order()
    channels = _channels()
    direction = _direction()
    after, before = _cursor("after"), _cursor("before")
    day = _day()
    if day is not None:
        try:
            after, before = cursor_for_day(day, tz, order), None
        except OverflowError:  # year 1 or 9999: no timeline reaches there
            abort(400)
    # The flags from the report the header shows anyway (kept across requests).
    timeline = read_timeline(db(), negotiation, default_zone=default_zone(), order=order,
                             after=after, before=before, channels=channels, direction=direction,
                             limit=DEFAULT_PAGE_SIZE, report=report_for(negotiation))
    page = timeline.page
    filters = {"order": order.value, "channel": [c.value for c in channels],
               "direction": direction.value if direction else None}
    return render_template(
        "timeline/show.html", negotiation=negotiation, page=page,
        groups=group_by_day(timeline.lines, tz), filters=filters, day=day,
        labels={item.id: job_label(item.job) for item in page.items if item.job},
        added_by=_added_by(negotiation.id, [item.id for item in page.items]),
        flags={item.id: line_flags(negotiation.id, item.findings)
               for item in page.items if item.findings},
        call_flags={line.id: line_flags(negotiation.id, line.findings)
                    for line in timeline.lines
                    if line.kind == ItemKind.call_log and line.findings},
        earlier_url=_page_url(negotiation.id, filters, before=page.earlier_in_order),
        later_url=_page_url(negotiation.id, filters, after=page.later_in_order),
        channels=list(Channel), directions=[Direction.from_them, Direction.from_me])


@bp.app_template_global()
def flag_label(flag: str) -> str:
    """Words for a flag on a ledger line of the timeline."""
    return {"promise_due_soon": _("Promise due soon"),
            "promise_missed": _("Promise missed"),
            "late": _("Sent late")}.get(flag, flag)


@bp.get("/negotiations/<int:negotiation_id>/jobs")
def jobs(negotiation_id: int):
    """The job state of the listed items (`ids=1,2,3`) of this negotiation, for the pages'
    live progress; items of other negotiations are ignored."""
    negotiation = negotiation_for(negotiation_id, "view")
    try:
        wanted = [int(x) for x in request.args.get("ids", "").split(",") if x][:MAX_POLLED_IDS]
    except ValueError:
        abort(400)
    ids = list(db().exec(select(Evidence.id).where(Evidence.negotiation_id == negotiation.id,
                                                   Evidence.id.in_(wanted))).all())
    states = job_states(db(), ids)
    items = {str(i): job_json(states[i]) if i in states else None for i in ids}
    return jsonify(items=items, active=any(
        s.status in ("queued", "running") for s in states.values()))


def _added_by(negotiation_id: int, evidence_ids: list[int]) -> dict[int, str]:
    """Who added each of these items, when more than one account has access to the
    negotiation (a timeline of one person's own record stays without names): one query."""
    if not evidence_ids or not has_helpers(db(), negotiation_id):
        return {}
    return dict(db().exec(select(Evidence.id, User.name)
                          .join(User, User.id == Evidence.created_by)
                          .where(Evidence.id.in_(evidence_ids))).all())


def _page_url(negotiation_id: int, filters: dict, **cursor: str | None) -> str | None:
    token = next(iter(cursor.values()))
    if token is None:
        return None
    query = {k: v for k, v in filters.items() if v}
    return url_for("timeline.show", negotiation_id=negotiation_id, **query, **cursor)


def _order() -> Order:
    try:
        return Order(request.args.get("order", Order.newest_first.value))
    except ValueError:
        abort(400)


def _channels() -> list[Channel]:
    try:
        return [Channel(c) for c in request.args.getlist("channel") if c]
    except ValueError:
        abort(400)


def _direction() -> Direction | None:
    value = request.args.get("direction")
    if not value:
        return None
    try:
        return Direction(value)
    except ValueError:
        abort(400)


def _cursor(name: str) -> Cursor | None:
    token = request.args.get(name)
    if not token:
        return None
    try:
        return Cursor.parse(token)
    except (ValueError, OverflowError):
        abort(400)


def _day() -> date | None:
    value = request.args.get("date")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400)
