"""The ``wmts:`` location of a base map: ``wmts:CAPABILITIES_URL`` whose query may carry the
choice of ``layer``, ``tilematrixset``, ``style`` and ``format``. One definition for the base
maps (which read the capabilities) and the embedded QGIS project (which lists the layer)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PREFIX = "wmts:"
CHOICES = ("layer", "tilematrixset", "style", "format")


def is_wmts(location: str) -> bool:
    return location.lower().startswith(PREFIX)


def split_location(location: str) -> tuple[str, dict[str, str]]:
    """The capabilities URL (without our choice parameters) and the choice (lower-case keys)."""
    parts = urlsplit(location[len(PREFIX):])
    query = parse_qsl(parts.query, keep_blank_values=True)
    choice = {k.lower(): v for k, v in query if k.lower() in CHOICES}
    rest = [(k, v) for k, v in query if k.lower() not in CHOICES]
    return urlunsplit(parts._replace(query=urlencode(rest, safe="{}"))), choice


def join_location(url: str, choice: dict[str, str]) -> str:
    """``wmts:URL`` with the ``choice`` (in :data:`CHOICES` order) added to its query."""
    query = urlencode([(k, choice[k]) for k in CHOICES if choice.get(k)], safe="/")
    if not query:
        return PREFIX + url
    return f"{PREFIX}{url}{'&' if urlsplit(url).query else '?'}{query}"
