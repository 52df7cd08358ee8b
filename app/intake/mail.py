"""E-mail reports (``.eml``): the body becomes the report, attachments are kept with it.

Encrypted mail (PGP/MIME, RFC 3156 section 4, or an inline ``BEGIN PGP MESSAGE`` block) is
decrypted in memory with the organisation's key, under a plaintext cap checked while it
decompresses; without that key it is refused with "cannot decrypt: no organisation key".
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message

from app.errors import VerificationError
from app.intake import text as text_parser
from app.intake.model import Limits, ParsedAttachment, ParsedDoc, Rejected
from i18n import _

PGP_BEGIN = b"-----BEGIN PGP MESSAGE-----"
PGP_END = b"-----END PGP MESSAGE-----"
MAX_ATTACHMENTS = 50
MIN_PLAINTEXT_CAP = 1024 * 1024  # a small encrypted message may still decrypt to this much


OrgKeys = tuple[tuple[str, str | None], ...]


def plaintext_cap(ciphertext_bytes: int, limits: Limits) -> int:
    """The most an encrypted e-mail may decrypt to: the intake file size limit, and the archive
    expansion ratio applied to OpenPGP compression too (a small message that inflates a
    thousandfold is a decompression bomb, not a report)."""
    by_ratio = max(MIN_PLAINTEXT_CAP, limits.zip_max_ratio * ciphertext_bytes)
    return min(limits.max_file_size, by_ratio)


def _decrypt(blob: bytes, org_keys: OrgKeys, limits: Limits) -> bytes:
    """Decrypt with the first organisation key (secret, passphrase) that fits, streaming under
    a hard plaintext cap: the same capped worker that decrypts bundles (app/exchange/pgp.py),
    so a compressed bomb is stopped while it inflates, never held whole in memory."""
    if not org_keys:
        raise Rejected(_("cannot decrypt: no organisation key"))
    from app.exchange import pgp

    cap = plaintext_cap(len(blob), limits)
    try:
        return pgp.decrypt(blob, list(org_keys), cap)
    except pgp.PlaintextTooLarge:
        raise Rejected(
            _(
                "encrypted e-mail too large after decryption: more than {limit} bytes from a "
                "{size}-byte message (decryption stopped there)"
            ).format(limit=cap, size=len(blob))
        ) from None
    except VerificationError:
        raise Rejected(_("cannot decrypt: not encrypted to an organisation key")) from None


def _message(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _encrypted_payload(msg: EmailMessage) -> bytes | None:
    if msg.get_content_type() == "multipart/encrypted":
        for part in msg.iter_parts():
            if part.get_content_type() == "application/octet-stream":
                return _part_bytes(part)
    return None


def parse(raw: bytes, org_keys: OrgKeys, limits: Limits | None = None) -> ParsedDoc:
    lim = limits or Limits()
    try:
        msg = _message(raw)
    except Exception as exc:
        raise Rejected(_("unreadable e-mail: {error}").format(error=exc)) from None
    subject = str(msg.get("subject", "") or "")
    warnings: list[str] = []
    blob = _encrypted_payload(msg)
    if blob is not None:  # PGP/MIME: the decrypted payload is a MIME entity of its own
        inner = _message(_decrypt(blob, org_keys, lim))
        msg, warnings = inner, [_("decrypted with the organisation key (PGP/MIME)")]
    body_parts: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        data = _part_bytes(part)
        if disposition != "attachment" and ctype in ("text/plain", "text/markdown"):
            charset = part.get_content_charset() or "utf-8"
            try:
                body = data.decode(charset)
            except (LookupError, UnicodeDecodeError):
                raise Rejected(
                    _("invalid {charset} in the e-mail body").format(charset=charset)
                ) from None
            if PGP_BEGIN.decode() in body:
                start = body.index(PGP_BEGIN.decode())
                end = body.find(PGP_END.decode(), start)
                if end < 0:
                    raise Rejected(_("truncated inline PGP message"))
                block = body[start : end + len(PGP_END)].encode()
                body = _decrypt(block, org_keys, lim).decode("utf-8", errors="replace")
                warnings.append(_("decrypted with the organisation key (inline PGP)"))
            body_parts.append(body)
        elif disposition == "attachment" or ctype not in ("text/html",):
            if len(attachments) >= MAX_ATTACHMENTS:
                raise Rejected(_("more than {n} attachments").format(n=MAX_ATTACHMENTS))
            attachments.append(
                ParsedAttachment(
                    filename=(part.get_filename() or "attachment")[:500],
                    media_type=ctype[:100],
                    content=data,
                )
            )
    body = "\n\n".join(p.strip() for p in body_parts).strip()
    if not body and not attachments:
        raise Rejected(_("e-mail without a text body or attachments"))
    return text_parser.parse(
        body,
        raw,
        title=subject or None,
        fmt="email",
        media_type="message/rfc822",
        attachments=tuple(attachments),
        warnings=tuple(warnings),
        document_id=str(msg.get("message-id", "") or "")[:300] or None,
    )
