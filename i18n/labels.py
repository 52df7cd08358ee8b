"""Human, translated labels for the codes the core stores (statuses, tiers, roles, deadline
states, fact names), in one place so the CLI, the core's texts and the screens agree.

The stored codes never change; only what a reader sees goes through the catalog. An unknown
code (a state added later, a team's own fact) shows as itself rather than disappearing.
"""

from __future__ import annotations

from i18n.catalog import N_, _

STATUS_LABELS: dict[str, str] = {
    "new": N_("new"),
    "triage": N_("triage"),
    "accepted": N_("accepted"),
    "coordinating": N_("coordinating"),
    "remediation": N_("remediation"),
    "disclosed": N_("disclosed"),
    "closed": N_("closed"),
    "needs-info": N_("needs info"),
    "duplicate": N_("duplicate"),
    "rejected": N_("rejected"),
}
TIER_LABELS: dict[str, str] = {
    "Critical": N_("Critical"),
    "High": N_("High"),
    "Medium": N_("Medium"),
    "Low": N_("Low"),
    "Informational": N_("Informational"),
    "Unscored": N_("Unscored"),
}
ROLE_LABELS: dict[str, str] = {
    "analyst": N_("analyst"),
    "shift-lead": N_("shift lead"),
    "coordinator": N_("coordinator"),
}
DEADLINE_STATE_LABELS: dict[str, str] = {
    "pending": N_("pending"),
    "due-soon": N_("due soon"),
    "overdue": N_("overdue"),
    "met": N_("met"),
    "met-late": N_("met late"),
    "not-applicable": N_("not applicable"),
    "owed-by-others": N_("owed by others"),
}
FACT_LABELS: dict[str, str] = {
    "acknowledged": N_("report acknowledged"),
    "disclosed": N_("disclosed"),
    "early-warning-sent": N_("early warning sent"),
    "embargo-until": N_("embargo ends"),
    "exploited-aware": N_("aware of active exploitation"),
    "final-report-sent": N_("final report sent"),
    "fix-available": N_("fix available"),
    "incident-aware": N_("aware of a severe incident"),
    "incident-early-warning-sent": N_("incident early warning sent"),
    "incident-final-report-sent": N_("incident final report sent"),
    "incident-notification-sent": N_("incident notification sent"),
    "miit-report-sent": N_("report to MIIT sent"),
    "notification-sent": N_("notification sent"),
    "publication-planned": N_("publication planned"),
    "published": N_("published"),
    "reported": N_("reported"),
    "triaged": N_("triaged"),
    "vendor-contacted": N_("vendor contacted"),
}


def _label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return "—"
    return _(table[code]) if code in table else code


def status_label(code: str | None) -> str:
    return _label(STATUS_LABELS, code)


def tier_label(code: str | None) -> str:
    return _label(TIER_LABELS, code)


def role_label(code: str | None) -> str:
    return _label(ROLE_LABELS, code)


def deadline_state_label(code: str | None) -> str:
    return _label(DEADLINE_STATE_LABELS, code)


def fact_label(code: str | None) -> str:
    return _label(FACT_LABELS, code)


# What each audit action code means, as the History tab and the audit screen show it.
# tests/views/test_audit_labels.py checks every code that app/ writes has a label here.
AUDIT_ACTION_LABELS: dict[str, str] = {
    "advisory.approved": N_("advisory approved"),
    "advisory.create": N_("advisory drafted"),
    "advisory.draft": N_("advisory back to draft"),
    "advisory.export": N_("advisory exported"),
    "advisory.import": N_("advisory received"),
    "advisory.in-review": N_("advisory sent for review"),
    "advisory.namespace": N_("advisory namespace set"),
    "advisory.published": N_("advisory published"),
    "advisory.reopen": N_("advisory reopened"),
    "advisory.text": N_("advisory text edited"),
    "advisory.tlp": N_("advisory TLP changed"),
    "analyst.add": N_("analyst added"),
    "analyst.deactivate": N_("analyst deactivated"),
    "analyst.key": N_("analyst signing key registered"),
    "analyst.login": N_("team login set"),
    "analyst.passphrase": N_("passphrase changed"),
    "analyst.slot": N_("key slot given"),
    "assessment.create": N_("severity assessed"),
    "assessment.import": N_("assessment received"),
    "attachment.hazardous_export": N_("hazardous attachment exported"),
    "attachment.save": N_("attachment saved"),
    "audit.checkpoint": N_("audit checkpoint"),
    "bundle.accept": N_("held bundle accepted"),
    "bundle.export": N_("bundle exported"),
    "bundle.held": N_("bundle held"),
    "bundle.import": N_("bundle imported"),
    "bundle.refused": N_("bundle refused"),
    "case.affected.add": N_("affected product added"),
    "case.affected.remove": N_("affected product removed"),
    "case.assign": N_("assigned"),
    "case.create": N_("opened"),
    "case.embargo": N_("embargo changed"),
    "case.exported": N_("sent to a partner"),
    "case.fact": N_("deadline fact recorded"),
    "case.fact.proposal": N_("fact proposal decided"),
    "case.identifier.add": N_("identifier added"),
    "case.identifier.remove": N_("identifier removed"),
    "case.import": N_("received from a partner"),
    "case.jurisdictions": N_("jurisdictions changed"),
    "case.link": N_("case linked"),
    "case.merge": N_("cases merged"),
    "case.note.add": N_("note added"),
    "case.note.receive": N_("note received"),
    "case.partners": N_("partners changed"),
    "case.roles": N_("duty-holder roles changed"),
    "case.share": N_("shared with a partner"),
    "case.split": N_("report split off"),
    "case.split.from": N_("split from another case"),
    "case.tlp": N_("TLP changed"),
    "case.tlp.downgrade": N_("TLP lowered"),
    "case.transition": N_("moved"),
    "case.transition.undo": N_("move undone"),
    "case.trust.received": N_("trust received"),
    "case.unlink": N_("case unlinked"),
    "case.unmerge": N_("merge undone"),
    "case.unshare": N_("no longer shared with a partner"),
    "case.vulnerability.add": N_("vulnerability added"),
    "deadline.configure": N_("deadline programme configured"),
    "deadline.met": N_("obligation met"),
    "deadline.override": N_("deadline overridden"),
    "duplicate.confirm": N_("duplicate confirmed"),
    "duplicate.dismiss": N_("duplicate dismissed"),
    "exchange.policy": N_("exchange policy changed"),
    "handover.ack": N_("handover acknowledged"),
    "handover.edit": N_("handover edited"),
    "handover.new": N_("handover drafted"),
    "handover.sign": N_("handover signed"),
    "impact.estimate": N_("impact estimated"),
    "intake.mapping.save": N_("column mapping saved"),
    "intake.quarantine": N_("document quarantined"),
    "intake.quarantine.discard": N_("quarantined document discarded"),
    "org.key.export": N_("organisation key exported"),
    "org.key.generate": N_("organisation key generated"),
    "partner.add": N_("partner added"),
    "partner.key.add": N_("partner key added"),
    "partner.key.update": N_("partner key updated"),
    "partner.verify": N_("partner verified"),
    "partner.verify.mismatch": N_("partner fingerprint mismatch"),
    "party.add": N_("party added"),
    "party.contact": N_("party contacted"),
    "party.import": N_("party received"),
    "party.status": N_("party status changed"),
    "party.status.import": N_("party status received"),
    "party.update": N_("party updated"),
    "playbook.complete": N_("playbook completed"),
    "playbook.mirror": N_("partner playbook mirrored"),
    "playbook.start": N_("playbook started"),
    "playbook.step.complete": N_("playbook step done"),
    "playbook.step.partner": N_("partner playbook step"),
    "playbook.step.skip": N_("playbook step skipped"),
    "queue.bulk-assign": N_("cases assigned in bulk"),
    "queue.bulk-assign.undo": N_("bulk assignment undone"),
    "report.import": N_("report imported"),
    "report.transparency": N_("transparency report written"),
    "report.update": N_("report updated"),
    "reporter.add": N_("reporter added"),
    "trust.override": N_("trust overridden"),
    "vulnerability.add": N_("vulnerability added"),
    "workspace.backup": N_("workspace backed up"),
    "workspace.create": N_("workspace created"),
    "workspace.keyslots": N_("key slots created"),
    "workspace.rekey": N_("workspace re-keyed"),
    "workspace.restore": N_("workspace restored"),
}


def audit_action_label(code: str | None) -> str:
    """``case.partners`` -> "partners changed"; an unknown code shows as itself."""
    return _label(AUDIT_ACTION_LABELS, code)


# The keys of an audit event's details, as the History tab names them; a key missing here
# shows as itself (audit exports and the CLI print the keys).
AUDIT_DETAIL_LABELS: dict[str, str] = {
    "reason": N_("Reason"),
    "fact": N_("Fact"),
    "facts": N_("Facts"),
    "partners": N_("Partners"),
    "partner": N_("Partner"),
    "jurisdictions": N_("Jurisdictions"),
    "source": N_("Source"),
    "model": N_("Model"),
    "tier": N_("Tier"),
    "previous_tier": N_("Previous tier"),
    "state": N_("State"),
    "status": N_("Status"),
    "language": N_("Language"),
    "field": N_("Field"),
    "rule": N_("Rule"),
    "due_utc": N_("Due"),
    "late": N_("Late"),
    "bundle": N_("Bundle"),
    "tlp": N_("TLP"),
    "note": N_("Note"),
    "shared": N_("Shared"),
    "kind": N_("Kind"),
    "type": N_("Type"),
    "value": N_("Value"),
    "playbook": N_("Playbook"),
    "step": N_("Step"),
    "run": N_("Run"),
    "version": N_("Version"),
    "report": N_("Report"),
    "vulnerability": N_("Vulnerability"),
    "product": N_("Product"),
    "reporter": N_("Reporter"),
    "statement": N_("Statement"),
    "direction": N_("Direction"),
    "contact": N_("Contact"),
    "attachments": N_("Attachments"),
    "pseudonymous": N_("Pseudonymous"),
    "fingerprint": N_("Fingerprint"),
    "branch": N_("Branch"),
    "users": N_("Users"),
}


def audit_detail_label(key: str) -> str:
    """``previous_tier`` -> "Previous tier"; an unknown key shows as itself."""
    return _label(AUDIT_DETAIL_LABELS, key)


DUTY_HOLDER_LABELS: dict[str, str] = {
    "this-cert": N_("this CERT"),
    "manufacturer": N_("manufacturer"),
    "deployer": N_("deployer"),
    "essential-entity": N_("essential entity"),
    "important-entity": N_("important entity"),
    "provider-high-risk-ai": N_("provider of a high-risk AI system"),
    "reporter": N_("reporter"),
    "coordinator": N_("coordinator"),
}
COMPUTATION_LABELS: dict[str, str] = {
    "exact": N_("exact elapsed time"),
    "calendar": N_("calendar days to the instant"),
    "end-of-day": N_("end of the last day"),
    "working-day": N_("working-day roll-over"),
}


def duty_holder_label(code: str | None) -> str:
    return _label(DUTY_HOLDER_LABELS, code)


def computation_label(code: str | None) -> str:
    return _label(COMPUTATION_LABELS, code)
