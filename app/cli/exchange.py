"""accord org key …, accord partner …, accord bundle export|verify|import|policy."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.context import CliContext
from app.cli.trust_cmds import add_override
from app.errors import AccordError, UsageError
from app.exchange import (
    bundle_format,
    export,
    holding,
    importer,
    keys,
    partners,
    pgp,
    verify,
)
from app.workspaces import files
from i18n import _, ngettext


def _csv(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    org = sub.add_parser("org", help=_("the organisation's OpenPGP key"))
    osub = org.add_subparsers(dest="org_command", metavar="ACTION")
    key = osub.add_parser("key", help=_("generate, show or export the organisation key"))
    ksub = key.add_subparsers(dest="org_key_command", metavar="ACTION")
    g = ksub.add_parser("generate", parents=[common], help=_("create the organisation key"))
    g.add_argument("--replace", action="store_true", help=_("roll over to a new key"))
    g.set_defaults(handler=cmd_key_generate)
    e = ksub.add_parser("export", parents=[common], help=_("write the public certificate"))
    e.add_argument("--out", required=True, metavar="FILE")
    e.set_defaults(handler=cmd_key_export)
    s = ksub.add_parser("show", parents=[common], help=_("show the organisation key"))
    s.set_defaults(handler=cmd_key_show)

    p = sub.add_parser("partner", help=_("partner CERTs and their keys"))
    psub = p.add_subparsers(dest="partner_command", metavar="ACTION")
    a = psub.add_parser("add", parents=[common], help=_("add a partner with its certificate"))
    a.add_argument("--name", required=True)
    a.add_argument("--country", required=True, metavar="CC")
    a.add_argument("--tz", required=True, metavar="ZONE")
    a.add_argument("--key", required=True, metavar="FILE")
    a.add_argument("--languages", nargs="*", default=[], metavar="LANG")
    a.set_defaults(handler=cmd_partner_add)
    ls = psub.add_parser("list", parents=[common], help=_("list partners and their keys"))
    ls.set_defaults(handler=cmd_partner_list)
    sh = psub.add_parser(
        "show", parents=[common], help=_("one partner: keys, sequences, last audit checkpoint")
    )
    sh.add_argument("name")
    sh.set_defaults(handler=cmd_partner_show)
    v = psub.add_parser(
        "verify", parents=[common], help=_("confirm a fingerprint read out of band")
    )
    v.add_argument("name")
    v.add_argument("--fingerprint", required=True, metavar="FPR")
    v.set_defaults(handler=cmd_partner_verify)
    pk = psub.add_parser("key", help=_("partner key rollover"))
    pksub = pk.add_subparsers(dest="partner_key_command", metavar="ACTION")
    ka = pksub.add_parser("add", parents=[common], help=_("add a partner's new certificate"))
    ka.add_argument("name")
    ka.add_argument("--key", required=True, metavar="FILE")
    ka.set_defaults(handler=cmd_partner_key_add)

    b = sub.add_parser("bundle", help=_("signed bundles for partners"))
    bsub = b.add_subparsers(dest="bundle_command", metavar="ACTION")
    x = bsub.add_parser("export", parents=[common], help=_("export cases to partners"))
    x.add_argument("--to", required=True, type=_csv, metavar="NAME[,NAME]")
    x.add_argument("--case", required=True, type=_csv, metavar="ID[,ID]")
    x.add_argument("--tlp", required=True, choices=bundle_format.TLP_LEVELS)
    x.add_argument("--out", metavar="FILE")
    x.add_argument("--include-hazardous", nargs="*", default=[], metavar="ATTACHMENT_ID:PARTNER")
    x.add_argument("--preview", action="store_true", help=_("list what would leave; write nothing"))
    add_override(x)
    x.set_defaults(handler=cmd_bundle_export)
    vf = bsub.add_parser("verify", parents=[common], help=_("check a bundle, change nothing"))
    vf.add_argument("file")
    vf.set_defaults(handler=cmd_bundle_verify)
    im = bsub.add_parser("import", parents=[common], help=_("verify and merge a bundle"))
    im.add_argument("file")
    im.set_defaults(handler=cmd_bundle_import)
    bl = bsub.add_parser("list", parents=[common], help=_("bundles received and sent"))
    bl.add_argument("--held", action="store_true", help=_("only bundles held for a gap"))
    bl.set_defaults(handler=cmd_bundle_list)
    ac = bsub.add_parser(
        "accept", parents=[common], help=_("apply a held bundle now, skipping the gap")
    )
    ac.add_argument("id", metavar="ID", help=_("the held bundle's number or bundle id"))
    ac.add_argument("--reason", required=True, help=_("why the missing bundles are given up"))
    ac.set_defaults(handler=cmd_bundle_accept)
    po = bsub.add_parser("policy", parents=[common], help=_("TLP labels accepted on import"))
    po.add_argument("--accept", type=_csv, metavar="TLP[,TLP]")
    po.set_defaults(handler=cmd_bundle_policy)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AccordError(
            _("cannot read {what} {file}: {error}").format(what=what, file=path, error=exc.strerror)
        ) from None


def cmd_key_generate(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = keys.generate(s, ws.require_actor(), replace=args.replace)
    ctx.emit(
        info.as_json(),
        _("Organisation key {fpr}").format(fpr=pgp.group_fingerprint(info.fingerprint)),
    )
    return 0


def cmd_key_show(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = keys.show(s)
    ctx.emit(
        info.as_json(),
        _("Organisation key {fpr}").format(fpr=pgp.group_fingerprint(info.fingerprint)),
    )
    return 0


def cmd_key_export(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        fpr, armored = keys.export_public(s, ws.require_actor())
    # Public, but written like every other file Accord makes: 0600, whole or not at all.
    files.write_private_atomic(Path(args.out), armored.encode("utf-8"))
    ctx.emit(
        {"fingerprint": fpr, "out": args.out},
        _("Wrote the public certificate {fpr} to {file}").format(
            fpr=pgp.group_fingerprint(fpr), file=args.out
        ),
    )
    return 0


def _partner_text(p: partners.PartnerInfo) -> str:
    key = p.current_key
    state = _("verified") if p.verified else _("NOT verified")
    fpr = key.grouped if key else "-"
    validity = key.validity if key else "-"
    return f"{p.name:20} {p.country:3} {p.timezone:20} {state:13} {validity:8} {fpr}"


def cmd_partner_add(ctx: CliContext, args: argparse.Namespace) -> int:
    cert = _read(args.key, _("certificate")).decode("utf-8", errors="replace")
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = partners.add_partner(
            s,
            ws.require_actor(),
            args.name,
            args.country,
            args.tz,
            cert,
            args.languages,
            source=args.key,
        )
    key = info.current_key
    ctx.emit(
        info.as_json(),
        _(
            "Added {name} with key {fpr}; compare the fingerprint out of band "
            "and run 'accord partner verify'"
        ).format(name=info.name, fpr=key.grouped if key else "-"),
    )
    return 0


def cmd_partner_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        rows = partners.list_partners(s)
    ctx.emit([p.as_json() for p in rows], "\n".join(_partner_text(p) for p in rows))
    return 0


def _partner_details(p: partners.PartnerInfo) -> str:
    lines = [
        _partner_text(p),
        _("Bundles: last sequence received {n_in}, last sent {n_out}").format(
            n_in=p.last_sequence_in, n_out=p.last_sequence_out
        ),
    ]
    cp = p.last_checkpoint
    if cp is None:
        lines.append(_("Audit checkpoint: none received yet"))
    else:
        lines.append(
            _(
                "Audit checkpoint: {n} events, head {head}, made {at}, in bundle {bundle} "
                "(received {received})"
            ).format(
                n=cp.events,
                head=cp.head,
                at=cp.at.isoformat(),
                bundle=cp.bundle_id,
                received=cp.received_at.isoformat(),
            )
        )
    for k in p.keys:
        lines.append(
            f"  {k.grouped}  {k.validity}"
            + ("  " + _("current") if k.current else "")
            + ("  " + _("verified") if k.verified else "")
        )
    return "\n".join(lines)


def cmd_partner_show(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = partners.info(partners.get_partner(s, args.name))
    ctx.emit(info.as_json(), _partner_details(info))
    return 0


def cmd_partner_verify(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = partners.verify_partner(s, ws.require_actor(), args.name, args.fingerprint)
    ctx.emit(info.as_json(), _("{name} verified").format(name=info.name))
    return 0


def cmd_partner_key_add(ctx: CliContext, args: argparse.Namespace) -> int:
    cert = _read(args.key, _("certificate")).decode("utf-8", errors="replace")
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = partners.add_key(s, ws.require_actor(), args.name, cert)
    ctx.emit(info.as_json(), _partner_text(info))
    return 0


def _hazardous(values: list[str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for value in values:
        ident, sep, partner = value.partition(":")
        if not sep or not ident.strip().isdigit() or not partner.strip():
            raise UsageError(
                _("--include-hazardous takes ATTACHMENT_ID:PARTNER, not {value}").format(
                    value=value
                )
            )
        out.append((int(ident), partner.strip()))
    return out


def _plan_text(plan: export.ExportPlan) -> str:
    lines = [
        _("TLP:{tlp} to {to}; {how}").format(
            tlp=plan.tlp,
            to=", ".join(plan.recipients),
            how=_("encrypted to the recipients") if plan.encrypted else _("signed, not encrypted"),
        ),
        _("Files that leave:"),
    ]
    lines += [
        f"  {f.path}  {f.size}  {f.sha256}" if f.sha256 else f"  {f.path}  " + _("(made at export)")
        for f in plan.files
    ]
    if plan.excluded:
        lines.append(
            ngettext(
                "Warning: {n} hazardous attachment is not sent; include it by "
                "--include-hazardous ID:PARTNER (encrypted bundles only).",
                "Warning: {n} hazardous attachments are not sent; include one by "
                "--include-hazardous ID:PARTNER (encrypted bundles only).",
                len(plan.excluded),
            ).format(n=len(plan.excluded))
        )
    for e in plan.excluded:
        lines.append(
            _("Excluded attachment {id} ({case}/{name}): {reason}").format(
                id=e.attachment_id, case=e.case, name=e.filename, reason=e.reason
            )
        )
    return "\n".join(lines)


def cmd_bundle_export(ctx: CliContext, args: argparse.Namespace) -> int:
    include = _hazardous(args.include_hazardous)
    if not args.preview and not args.out:
        raise UsageError(_("give --out FILE (or --preview)"))
    ws = ctx.open_workspace()
    actor = ws.require_actor()
    if args.preview:
        with ws.session() as s:
            plan = export.preview_bundle(
                s, actor, args.to, args.case, args.tlp, include, override=args.override
            )
        ctx.emit(plan.as_json(), _plan_text(plan))
        return 0
    out = Path(args.out)
    if out.exists():
        raise AccordError(_("{file} exists already; choose a new file").format(file=out))
    with ws.session() as s:
        result = export.export_bundle(
            s, actor, args.to, args.case, args.tlp, include, override=args.override
        )
        # Inside the session: if the file cannot be written, the export is not recorded.
        try:
            files.write_private_atomic(out, result.data, replace=False)
        except FileExistsError:
            raise AccordError(
                _("{file} exists already; choose a new file").format(file=out)
            ) from None
    data = {**result.plan.as_json(), "out": str(out), "sha256": result.sha256}
    ctx.emit(
        data,
        _plan_text(result.plan)
        + "\n"
        + _("Wrote {file} (SHA-256 {sha})").format(file=out, sha=result.sha256),
    )
    return 0


def _report_text(report: verify.BundleReport) -> str:
    lines = [("✔ " if c.passed else "✘ ") + f"{c.name}: {c.detail}" for c in report.checks]
    if report.ok:
        lines.append(
            _("Valid bundle {id} from {sender}, TLP:{tlp}, sequence {n}").format(
                id=report.bundle_id, sender=report.sender, tlp=report.tlp, n=report.sequence
            )
        )
        if report.waiting_for is not None:
            lines.append(
                _("It arrives early: import holds it until sequence {n} arrives.").format(
                    n=report.waiting_for
                )
            )
    else:
        lines.append(_("Refused: {reason}").format(reason=report.reason))
    return "\n".join(lines)


def cmd_bundle_verify(ctx: CliContext, args: argparse.Namespace) -> int:
    data = _read(args.file, _("bundle"))
    ws = ctx.open_workspace()
    with ws.session() as s:
        report = verify.verify_bundle(s, data)
    ctx.emit(report.as_json(), _report_text(report))
    return 0 if report.ok else 4


def _import_text(result: importer.ImportResult) -> str:
    text = _report_text(result.report)
    if result.imported:
        text += "\n" + "\n".join(
            [
                _("{theirs} → {ours}").format(theirs=c.partner_case, ours=c.case)
                for c in result.cases
            ]
            + list(result.notes)
            + [_("Held bundle {id} applied in turn.").format(id=b) for b in result.applied_held]
        )
    else:
        text += "\n" + result.outcome_text()
    return text


def cmd_bundle_import(ctx: CliContext, args: argparse.Namespace) -> int:
    data = _read(args.file, _("bundle"))
    ws = ctx.open_workspace()
    with ws.session() as s:
        result = importer.import_bundle(s, ws.require_actor(), data, name=args.file)
    ctx.emit(result.as_json(), _import_text(result))
    # Held is not refused: the bundle verified and is kept to be applied in order.
    return 0 if result.imported or result.held else 4


def cmd_bundle_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        rows = holding.list_bundles(s, held_only=args.held)
    ctx.emit(
        [r.as_json() for r in rows],
        "\n".join(
            f"{r.id:6} {r.direction:3} {r.partner or '-':20} {r.sequence or '-'!s:>5} "
            f"TLP:{r.tlp:12} {r.status}  {r.bundle_id}"
            for r in rows
        ),
    )
    return 0


def cmd_bundle_accept(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        result = holding.accept(s, ws.require_actor(), args.id, args.reason)
    ctx.emit(result.as_json(), _import_text(result))
    return 0 if result.imported else 4


def cmd_bundle_policy(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        if args.accept:
            levels = bundle_format.set_accepted_tlp(s, ws.require_actor(), args.accept)
        else:
            levels = bundle_format.accepted_tlp(s)
    ctx.emit(
        {"accept_tlp": list(levels)}, _("Accepted TLP: {levels}").format(levels=", ".join(levels))
    )
    return 0
