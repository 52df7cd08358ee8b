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
