"""When an item happened, as the pages show it (template globals for every blueprint): the date
and time, the date alone when only that is known, "Time unknown" when nothing is; and where the
time came from, so a person knows what to check and correct (`logger.record.when`)."""

from __future__ import annotations

from flask_babel import format_date, format_datetime, format_time, gettext as _, lazy_gettext

from storage.models import TimeSource
from storage.models.types import TimePrecision
from web.evidence import bp

# The file's own data, by what the file is.
METADATA_ORIGINS = {
    "image": lazy_gettext("Time from the photo's EXIF data"),
    "email": lazy_gettext("Time from the email's Date header"),
    "pdf": lazy_gettext("Time from the PDF's creation date"),
    "audio": lazy_gettext("Time from the recording file's data"),
    "video": lazy_gettext("Time from the recording file's data"),
}
ORIGINS = {
    TimeSource.person: lazy_gettext("Time set by a person"),
    TimeSource.file_name: lazy_gettext("Time from the file name"),
    TimeSource.parent: lazy_gettext("Time of the email it came with"),
}


def _day_only(item) -> bool:
    return getattr(item, "occurred_at_precision", None) == TimePrecision.day


@bp.app_template_global()
def occurred(item, style: str = "medium") -> str:
    """An item's time (evidence or a timeline line): date and time in the page's zone, the
    date alone when only that is known, else "Time unknown"."""
    if item.occurred_at is None:
        return _("Time unknown")
    if _day_only(item):
        return format_date(item.occurred_at, style)
    return format_datetime(item.occurred_at, style)


@bp.app_template_global()
def occurred_clock(item) -> str:
    """The clock time of a timeline line; "—" when there is none to show."""
    if item.occurred_at is None or _day_only(item):
        return "—"
    return format_time(item.occurred_at, "short")


@bp.app_template_global()
def time_origin(evidence) -> str:
    """Where the item's time came from, in words ("Time from the file name"), with "only the
    date is known" when that is so."""
    if evidence.occurred_at is None:
        return _("Time unknown. Enter it if you know it.")
    source = evidence.occurred_at_source
    if source is None:
        origin = _("Where this time came from was not recorded")
    elif source == TimeSource.metadata:
        family = evidence.media_type.split("/")[0]
        family = "email" if evidence.media_type == "message/rfc822" else family
        family = "pdf" if evidence.media_type == "application/pdf" else family
        origin = str(METADATA_ORIGINS.get(family) or _("Time from the file's own data"))
    elif source == TimeSource.content:
        origin = (_("Time from the last time stamp in the screenshot")
                  if evidence.media_type.startswith("image/")
                  else _("Time from the time stamps of the messages"))
    else:
        origin = str(ORIGINS[TimeSource(source)])
    if _day_only(evidence):
        return _("%(origin)s; only the date is known", origin=origin)
    return origin
