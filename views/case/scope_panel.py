"""The "Jurisdictions & sharing" case tab: which jurisdictions' clocks run for the case, which
partners it is shared with (``case share``), and its TLP — each change audited through the
same services as the CLI."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import trust
from app.casework import summary
from app.deadlines import service as deadlines
from app.deadlines.rules import RuleSet
from app.identity.actor import Permission
from app.workspaces.lifecycle import Workspace
from i18n import _
from i18n.data import jurisdiction_text
from views.case.editing import _CasePanel
from views.common.flow import FlowLayout


class ScopePanel(_CasePanel):
    """Jurisdictions, sharing list and TLP of one case."""

    def __init__(
        self,
        workspace: Workspace,
        case_id: int,
        rules: Callable[[], RuleSet],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(workspace, case_id, parent)
        self._rules = rules
        self._names = {j.code: j.names for j in summary.jurisdictions(rules())}
        # A policy that applies to every case is not offered for adding, but is named (not
        # shown as a bare code) when a case lists it.
        self._listed_names = dict(self._names)
        for f in rules().files:
            if f.always:
                self._listed_names.setdefault(f.code, (f.name,))

        self.codes = QListWidget()
        self.codes.setObjectName("caseJurisdictions")
        self.codes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.codes.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.code_choice = QComboBox()
        # Long rule-set names must not set the tab's (and the window's) minimum width.
        self.code_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.code_choice.setMinimumContentsLength(16)
        self.code_add = QPushButton()
        self.code_remove = QPushButton()
        self.code_add.clicked.connect(lambda: self.add_jurisdiction())
        self.code_remove.clicked.connect(self.remove_jurisdiction)
        # Button rows wrap (FlowLayout), and each box says what it holds in a wrapped line
        # under a short title: a group box's title never wraps, and with the explanation in
        # it ("… (partners who may receive this case)") the box was wider than the case pane
        # beside the queue in Portuguese.
        row = FlowLayout()
        row.addWidget(self.code_add)
        row.addWidget(self.code_remove)
        self.codes_hint = QLabel()
        self.codes_hint.setWordWrap(True)
        codes_box = self.codes_box = QGroupBox()
        codes_layout = QVBoxLayout(codes_box)
        codes_layout.addWidget(self.codes_hint)
        codes_layout.addWidget(self.codes)
        codes_layout.addWidget(self.code_choice)
        codes_layout.addLayout(row)

        self.partners = QListWidget()
        self.partners.setObjectName("caseSharing")
        self.partner_choice = QComboBox()
        self.partner_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.partner_choice.setMinimumContentsLength(12)
        self.share_add = QPushButton()
        self.share_remove = QPushButton()
        self.share_add.clicked.connect(lambda: self.share())
        self.share_remove.clicked.connect(self.unshare)
        self.sharing_note = QLabel()
        self.sharing_note.setWordWrap(True)
        prow = FlowLayout()
        prow.addWidget(self.share_add)
        prow.addWidget(self.share_remove)
        self.share_hint = QLabel()
        self.share_hint.setWordWrap(True)
        share_box = self.share_box = QGroupBox()
        share_layout = QVBoxLayout(share_box)
        share_layout.addWidget(self.share_hint)
        share_layout.addWidget(self.partners)
        share_layout.addWidget(self.partner_choice)
        share_layout.addLayout(prow)
        share_layout.addWidget(self.sharing_note)

        self.tlp_label = QLabel()
        self.tlp_label.setTextFormat(Qt.TextFormat.PlainText)
        self.tlp_label.setWordWrap(True)
        self.tlp_choice = QComboBox()
        for label in trust.TLP_ORDER:
            self.tlp_choice.addItem("TLP:" + label, label)
        self.tlp_raise = QPushButton()
        self.tlp_raise.clicked.connect(self.raise_tlp)
        trow = QHBoxLayout()
        trow.addWidget(self.tlp_label, 1)
        trow.addWidget(self.tlp_choice)
        trow.addWidget(self.tlp_raise)
        tlp_box = self.tlp_box = QGroupBox()
        tlp_box.setLayout(trow)

        # One above the other: side by side they needed 650 px, more than the case pane has
        # beside the queue at 1366×768 (the pane then scrolled sideways on every tab).
        columns = QVBoxLayout()
        columns.addWidget(codes_box, 1)
        columns.addWidget(share_box, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addWidget(tlp_box)
        layout.addLayout(columns, 1)
        self._shown: tuple[summary.CaseSummary, list[str]] | None = None
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        self.code_add.setText(_("Add jurisdiction"))
        self.code_remove.setText(_("Remove selected"))
        self.codes_box.setTitle(_("Jurisdictions and programmes"))
        self.codes_hint.setText(_("Their deadlines apply to this case."))
        self.share_add.setText(_("Share with partner"))
        self.share_remove.setText(_("Stop sharing"))
        self.share_box.setTitle(_("Sharing list"))
        self.share_hint.setText(_("Partners who may receive this case."))
        self.tlp_raise.setText(_("Raise TLP"))
        self.tlp_raise.setToolTip(
            _("Anyone may make a case more restrictive; lowering it is a coordinator's "
              "recorded downgrade (case tlp --downgrade).")
        )  # fmt: skip
        self.tlp_box.setTitle(_("TLP"))
        self._name_codes()
        if self._shown is not None:
            self._show_words(*self._shown)

    @staticmethod
    def _code_text(code: str, names: tuple[str, ...]) -> str:
        return f"{code} — {'; '.join(jurisdiction_text(n) for n in names)}" if names else code

    def _name_codes(self) -> None:
        """The codes with their rule sets' names, in the reader's language."""
        for index in range(self.codes.count()):
            item = self.codes.item(index)
            names = self._listed_names.get(str(item.data(Qt.ItemDataRole.UserRole)), ())
            item.setText(self._code_text(str(item.data(Qt.ItemDataRole.UserRole)), names))
            item.setToolTip("\n".join(jurisdiction_text(n) for n in names))
        for index in range(self.code_choice.count()):
            code = str(self.code_choice.itemData(index))
            self.code_choice.setItemText(index, self._code_text(code, self._names.get(code, ())))

    def reload(self) -> None:
        with self.workspace.session() as s:
            shown = summary.summary(s, self.workspace.actor, self.case_key)
            partners = summary.partner_names(s)
        self.codes.clear()
        for code in shown.jurisdictions:
            item = QListWidgetItem(code)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.codes.addItem(item)
        self.code_choice.clear()
        for code in self._names:
            if code not in shown.jurisdictions:
                self.code_choice.addItem(code, code)
        self._name_codes()
        self.code_add.setEnabled(self.code_choice.count() > 0)

        self.partners.clear()
        for name in shown.sharing:
            self.partners.addItem(name)
        self.partner_choice.clear()
        for name in partners:
            if name not in shown.sharing:
                self.partner_choice.addItem(name, name)
        actor = self.workspace.actor
        may_share = actor is not None and actor.can(Permission.EXPORT)
        for widget in (self.partner_choice, self.share_add, self.share_remove):
            widget.setEnabled(may_share)
        self.share_add.setEnabled(may_share and self.partner_choice.count() > 0)
        self.tlp_choice.setCurrentIndex(max(self.tlp_choice.findData(shown.tlp), 0))
        self._shown = (shown, partners)
        self._show_words(shown, partners)

    def _show_words(self, shown: summary.CaseSummary, partners: list[str]) -> None:
        """The notes that depend on the case, in the current language."""
        actor = self.workspace.actor
        may_share = actor is not None and actor.can(Permission.EXPORT)
        refusal = "" if may_share else _("Only coordinators change a case's sharing list.")
        for widget in (self.partner_choice, self.share_add, self.share_remove):
            widget.setToolTip(refusal)
        if not partners:
            self.sharing_note.setText(
                _("No partners yet: a coordinator adds them in Tools → Partners.")
            )
        elif not shown.sharing:
            self.sharing_note.setText(_("Not shared with any partner yet."))
        else:
            self.sharing_note.setText(refusal)

        self.tlp_label.setText(
            _("This case is TLP:{tlp}.").format(tlp=shown.tlp)
            + (
                " "
                + _("At least TLP:{tlp} as received from {partner}.").format(
                    tlp=shown.tlp, partner=shown.tlp_floor_partner
                )
                if shown.tlp_floor_partner
                else ""
            )
        )

    # -- edits --------------------------------------------------------------------------------
    def add_jurisdiction(self, code: str | None = None) -> bool:
        chosen = code or self.code_choice.currentData()
        if not chosen:
            return False
        return self._edit(
            lambda s, a: deadlines.set_jurisdictions(
                s, a, self.case_key, [str(chosen)], [], self._rules()
            )
        )

    def remove_jurisdiction(self) -> bool:
        item = self.codes.currentItem()
        if item is None:
            self.error.setText(_("Select a jurisdiction first."))
            return False
        code = str(item.data(Qt.ItemDataRole.UserRole))
        return self._edit(
            lambda s, a: deadlines.set_jurisdictions(s, a, self.case_key, [], [code], self._rules())
        )

    def share(self, name: str | None = None) -> bool:
        chosen = name or self.partner_choice.currentData()
        if not chosen:
            return False
        return self._edit(lambda s, a: trust.share(s, a, self.case_key, str(chosen), False))

    def unshare(self) -> bool:
        item = self.partners.currentItem()
        if item is None:
            self.error.setText(_("Select a partner first."))
            return False
        name = item.text()
        return self._edit(lambda s, a: trust.share(s, a, self.case_key, name, True))

    def raise_tlp(self) -> bool:
        level = str(self.tlp_choice.currentData())
        return self._edit(lambda s, a: trust.raise_tlp(s, a, self.case_key, level))
