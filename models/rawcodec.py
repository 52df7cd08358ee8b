"""How a report's original bytes are stored: as received (codec ``""``) or zlib-compressed
(``"zlib"``: a zlib stream, RFC 1950, of deflate data, RFC 1951, by the standard library).

Compressing a CSAF document to about a fifth of its size means the single intake writer
writes, and SQLCipher encrypts, a fifth of the pages for it. The codec is stored beside the
bytes, never guessed from them: a document may begin with anything, a zlib header too.
No ORM here: the intake's parser processes encode with it (``app/intake/rows.prepare``)."""

from __future__ import annotations

import zlib

PLAIN = ""
ZLIB = "zlib"

# Level 1 measured against 2–6 on 3,000 CSAF documents (15 KB on average): 0.17 ms of a
# parser process's CPU per document for 23% of the size; level 6 cost 0.25 ms for 20%.
LEVEL = 1
# Below this the bytes saved are fewer than deflate's work is worth, and a row that small
# rarely needs a page of its own anyway.
MIN_SIZE = 512
# Kept as received unless compression saves at least a tenth.
MIN_SAVING = 0.10
# Reading one back never inflates past this (the intake's largest document, Limits in
# app/intake/model.py); larger originals are stored as received, so every compressed row
# decodes within it.
MAX_SIZE = 50 * 1024 * 1024


class StoredRawError(ValueError):
    """Stored bytes that do not decode to an original: damaged, or of an unknown codec.
    The message names the row, never its content."""


def encode(raw: bytes) -> tuple[bytes, str]:
    """The bytes to store for the original ``raw`` and their codec."""
    if not MIN_SIZE <= len(raw) <= MAX_SIZE:
        return raw, PLAIN
    packed = zlib.compress(raw, LEVEL)
    if len(packed) > len(raw) * (1 - MIN_SAVING):
        return raw, PLAIN
    return packed, ZLIB


def decode(stored: bytes, codec: str, what: str) -> bytes:
    """The original bytes of ``stored``; ``what`` names the row in an error."""
    if codec == PLAIN:
        return stored
    if codec != ZLIB:
        raise StoredRawError(f"{what}: unknown codec {codec[:8]!r} for its original")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(stored, MAX_SIZE + 1)
    except zlib.error:
        raise StoredRawError(f"{what}: its stored original is damaged") from None
    if len(out) > MAX_SIZE:
        raise StoredRawError(f"{what}: its stored original inflates past {MAX_SIZE} bytes")
    if not inflater.eof or inflater.unused_data:
        raise StoredRawError(f"{what}: its stored original is damaged (truncated or extended)")
    return out
