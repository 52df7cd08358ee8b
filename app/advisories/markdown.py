"""Escaping for the Markdown advisory: every interpolated value is text, never HTML or markup.

A partner's or reporter's words reach the advisory; in Markdown, raw HTML passes through to
the reader's renderer and ``[x](javascript:…)`` makes a link. Values are escaped by default
(the template environment's ``finalize``); the few places that build markup on purpose (a
block of prose, a link, a code span) use the filters here, whose output is marked safe.
Escapes follow CommonMark 0.31: 2.4 (any ASCII punctuation may be backslash-escaped) and 6.6
(raw HTML); ``&``, ``<`` and ``>`` become entities, so no tag, comment or autolink survives.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup

# Inline markup: emphasis, code, links and images ("![" needs the "["), tables (GFM),
# strikethrough (GFM), headings, and the backslash itself.
_INLINE = re.compile(r"([\\`*_\[\]|~#])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# A line of "-" or "=" alone underlines the line before into a heading (setext) or draws a
# rule; "#" (ATX headings), ">" (quotes) and "*" are escaped everywhere. Lists stay lists.
_UNDERLINE = re.compile(r"[-=][-=\s]*")
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85")
LINK_SCHEMES = ("http", "https", "mailto")


def _escape_text(text: str) -> str:
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    return _INLINE.sub(r"\\\1", text)


def _escape_line(line: str) -> str:
    line = line.lstrip()  # indentation would make a code block
    if _UNDERLINE.fullmatch(line):
        return "\\" + line
    return _escape_text(line)


def inline(value: Any) -> Markup:
    """A value inside a line: newlines become spaces, markup and HTML are escaped."""
    if isinstance(value, Markup):
        return value
    text = "" if value is None else str(value)
    return Markup(_escape_text(_NEWLINES.sub(" ", text)))


def block(value: Any) -> Markup:
    """Text that starts a line (prose of several lines and paragraphs too): each line
    escaped, block markers at its start included, the line breaks kept."""
    text = "" if value is None else str(value)
    return Markup("\n".join(_escape_line(line) for line in _NEWLINES.split(text)))


def safe_url(url: str) -> str | None:
    """The URL percent-encoded for a link destination, or None when it is not a web or mail
    address (``javascript:``, ``data:``, ``file:`` and the like are never links)."""
    # As browsers read it (WHATWG URL: tabs and newlines removed), so "java\tscript:" is seen.
    cleaned = "".join(ch for ch in url.strip() if ch.isprintable())
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return None
    if scheme not in LINK_SCHEMES:
        return None
    # Keep the URL's own reserved characters; encode what could end or break the
    # destination (spaces, parentheses, angle brackets, quotes, backslashes, backticks).
    return quote(cleaned, safe=";/?:@&=+$,-_.!~*'#%[]")


def link(text: Any, url: Any) -> Markup:
    """``[text](url)`` for a web or mail address; anything else as plain text, unlinked."""
    target = safe_url("" if url is None else str(url))
    label = inline(text)
    if target is None:
        return Markup(f"{label} ({inline(url)})") if str(label) else inline(url)
    return Markup(f"[{label or inline(url)}]({target})")


def code(value: Any) -> Markup:
    """A code span for identifiers (hashes, package URLs); text that could leave the span or
    that a careless renderer might take for HTML is shown escaped instead."""
    text = "" if value is None else str(value)
    if not text or re.search(r"[`<>&\s]", text):
        return inline(text)
    return Markup(f"`{text}`")
