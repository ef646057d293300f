"""The rule editor's forms and wording: the admin's translation between a formset and `Band`s.

The editor works without JavaScript: one formset row per band. The scripts in
`static/authorization/rule_editor*.js` only draw and drag what these forms hold, and ask
the preview view, which reads the same formset, what the draft would decide.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kit.forms import MoneyField
from kit.numbers import percent, percent_range

from .bands import BandProblem
from .decision import (
    DEADLINE_MINUTES_MAX,
    DEFAULT_ESCALATE_AFTER_MINUTES,
    Band,
    BandAction,
    Decision,
    OnDeadline,
    Outcome,
    Reason,
)
from .decision_words import deadline_words

PREFIX = "bands"
CENT = Decimal("0.01")

# `BandProblem.field` (the API's names) → the form field it belongs next to.
FORM_FIELD_OF_PROBLEM = {
    "from": "lower_percent",
    "to": "upper_percent",
    "action": "action",
    "approvers": "approvers",
    "escalateAfterMinutes": "escalate_after_minutes",
    "onDeadline": "on_deadline",
    "deadlineMinutes": "deadline_minutes",
    "approveUpToCents": "approve_up_to",
}
ROW = "row"  # problems of a band as a whole


def format_percent(value) -> str:
    """Return a percentage without trailing zeros as a form field takes it: 10, 12.5, 0.25.

    People read it with `kit.numbers.percent` (12,5 % in Portuguese).
    """
    number = Decimal(str(value)).quantize(CENT)
    text = format(number.normalize(), "f")
    return text


def split_emails(text: str) -> tuple[str, ...]:
    """Split an approver list typed one e-mail a line (commas and spaces tolerated), keeping order."""
    return tuple(part for part in re.split(r"[\s,;]+", text or "") if part)


class BandForm(forms.Form):
    lower_percent = forms.DecimalField(
        label=_("From (%)"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    upper_percent = forms.DecimalField(
        label=_("To (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text=_("Up to, not including; a band ending at 100 includes 100."),
    )
    action = forms.ChoiceField(label=_("Action"), choices=BandAction.choices, initial=BandAction.AUTHORIZE)
    approvers = forms.CharField(
        label=_("Approvers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30, "spellcheck": "false"}),
        help_text=_("Bands held for approval only: one e-mail a line, in escalation order."),
    )
    escalate_after_minutes = forms.IntegerField(
        label=_("Escalate after (min)"),
        required=False,
        min_value=1,
        initial=DEFAULT_ESCALATE_AFTER_MINUTES,
    )

    # Left out of a post (an older page), it keeps waiting, and an empty row stays unchanged.
    on_deadline = forms.TypedChoiceField(
        label=_("When the chain has had its time"),
        choices=OnDeadline.choices,
        coerce=str,
        empty_value=OnDeadline.WAIT.value,
        initial=OnDeadline.WAIT.value,
        required=False,
        help_text=_(
            "Bands held for approval only: what happens to an order nobody has decided by the deadline."
        ),
    )
    deadline_minutes = forms.IntegerField(
        label=_("Deadline (min after the hold)"),
        required=False,
        min_value=1,
        max_value=DEADLINE_MINUTES_MAX,
        help_text=_("At least the approvers × the escalation delay."),
    )
    approve_up_to = MoneyField(
        label=_("Approve if paid is at most"),
        required=False,
        min_cents=1,
        help_text=_("Orders that paid more keep waiting."),
    )

    def __init__(self, *args, read_only=False, currency="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approve_up_to"].currency = currency
        self.fields["escalate_after_minutes"].help_text = gettext(
            "Bands held for approval only; empty means %(minutes)s."
        ) % {"minutes": DEFAULT_ESCALATE_AFTER_MINUTES}
        # Problems the rule services found, by field (ROW: the band as a whole), shown inline.
        self.problems = defaultdict(list)
        for name, bound_field in self.fields.items():
            bound_field.widget.attrs.setdefault("data-field", name)
            # In the band table a column's heading names the cell's input; a reader needs its own name.
            bound_field.widget.attrs.setdefault("aria-label", bound_field.label)
            if read_only:
                bound_field.disabled = True
        self.fields["lower_percent"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})
        self.fields["upper_percent"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})

    def clean_approvers(self):
        return split_emails(self.cleaned_data["approvers"])

    def clean_escalate_after_minutes(self):
        minutes = self.cleaned_data["escalate_after_minutes"]
        return DEFAULT_ESCALATE_AFTER_MINUTES if minutes is None else minutes

    def band(self) -> Band:
        """Return the band this valid row describes; approvers only count on a manual band."""
        data = self.cleaned_data
        action = BandAction(data["action"])
        manual = action is BandAction.MANUAL
        # Like the approvers, a deadline counts on a manual band only, and the minutes and the cap
        # only where the chosen deadline reads them: what is left typed in a hidden case is dropped.
        on_deadline = OnDeadline(data["on_deadline"]) if manual else OnDeadline.WAIT
        return Band(
            lower_percent=data["lower_percent"],
            upper_percent=data["upper_percent"],
            action=action,
            approvers=data["approvers"] if manual else (),
            escalate_after_minutes=data["escalate_after_minutes"],
            on_deadline=on_deadline,
            deadline_minutes=data["deadline_minutes"] if on_deadline != OnDeadline.WAIT else None,
            approve_up_to_cents=data["approve_up_to"] if on_deadline == OnDeadline.APPROVE_UP_TO else None,
        )

    @property
    def approver_list(self) -> tuple[str, ...]:
        """The approvers as shown (bound data when posted), for the read-only list."""
        return split_emails(self["approvers"].value())


class BaseBandFormSet(forms.BaseFormSet):
    def __init__(self, *args, read_only=False, currency="", **kwargs):
        self.read_only = read_only
        kwargs.setdefault("form_kwargs", {}).update(read_only=read_only, currency=currency)
        kwargs.setdefault("prefix", PREFIX)
        super().__init__(*args, **kwargs)
        self.rule_problems: list[dict] = []  # problems of the rule as a whole

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if self.can_delete and "DELETE" in form.fields:
            form.fields["DELETE"].label = gettext("Remove")
            form.fields["DELETE"].widget.attrs["data-field"] = "DELETE"


def band_formset(*, bands=(), data=None, read_only=False, currency="") -> BaseBandFormSet:
    """Return the editor's formset: one row per band, plus an empty row to add one when editable;
    `currency` is the account's, in which a deadline's cap is typed."""
    formset_class = forms.formset_factory(
        BandForm,
        formset=BaseBandFormSet,
        extra=0 if read_only else 1,
        can_delete=not read_only,
    )
    initial = [
        {
            "lower_percent": format_percent(band.lower_percent),
            "upper_percent": format_percent(band.upper_percent),
            "action": str(band.action),
            "approvers": "\n".join(band.approvers),
            "escalate_after_minutes": band.escalate_after_minutes,
            "on_deadline": str(band.on_deadline),
            "deadline_minutes": band.deadline_minutes,
            "approve_up_to": band.approve_up_to_cents,
        }
        for band in bands
    ]
    return formset_class(data=data, initial=initial, read_only=read_only, currency=currency)


@dataclass
class Draft:
    """The bands a posted formset describes, and which row each came from."""

    formset: BaseBandFormSet
    bands: list[Band] = field(default_factory=list)
    form_indexes: list[int] = field(default_factory=list)
    field_errors: list[dict] = field(default_factory=list)

    def form_of(self, problem: BandProblem):
        if problem.band_index is None or problem.band_index >= len(self.form_indexes):
            return None
        return self.formset.forms[self.form_indexes[problem.band_index]]

    def attach(self, *, errors, warnings) -> None:
        """Show the services' problems next to the row and field they concern."""
        for level, problems in (("error", errors), ("warning", warnings)):
            for problem in problems:
                shown = {"level": level, "message": problem.message}
                form = self.form_of(problem)
                if form is None:
                    self.formset.rule_problems.append(shown)
                else:
                    form.problems[FORM_FIELD_OF_PROBLEM.get(problem.field or "", ROW)].append(shown)

    def problems_json(self, problems, level: str) -> list[dict]:
        answer = []
        for problem in problems:
            in_range = problem.band_index is not None and problem.band_index < len(self.form_indexes)
            answer.append(
                {
                    "level": level,
                    "form": self.form_indexes[problem.band_index] if in_range else None,
                    "field": FORM_FIELD_OF_PROBLEM.get(problem.field or "", ROW) if in_range else None,
                    "message": problem.message,
                }
            )
        return answer

    def describe(self, problem: BandProblem) -> str:
        """Return the problem with the band it concerns, for a message at the top of the page."""
        if problem.band_index is None or problem.band_index >= len(self.bands):
            return problem.message
        band = self.bands[problem.band_index]
        return gettext("Band %(range)s: %(problem)s") % {
            "range": band_range(band.lower_percent, band.upper_percent),
            "problem": problem.message,
        }


def draft_of(formset: BaseBandFormSet) -> Draft:
    """Read the bands of every kept, filled-in row; collect the field errors of the others.

    Works on a formset with errors too (the live preview validates as the user types).
    """
    draft = Draft(formset=formset)
    for index, form in enumerate(formset.forms):
        valid = form.is_valid()
        if form.empty_permitted and not form.has_changed():
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        if not valid:
            for name, messages in form.errors.items():
                for message in messages:
                    draft.field_errors.append(
                        {
                            "level": "error",
                            "form": index,
                            "field": name if name in form.fields else ROW,
                            "message": message,
                        }
                    )
            continue
        draft.bands.append(form.band())
        draft.form_indexes.append(index)
    return draft


def band_range(lower, upper) -> str:
    """A band's stretch for the reader: 10–12,5 % in Portuguese."""
    return percent_range(lower, upper)


def parse_version(text) -> int | None:
    """The rule version a posted form was based on; None (last save wins) when missing or garbled."""
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def parse_percent(text) -> Decimal | None:
    """Return a typed percentage rounded to two decimals, or None when it is not a number."""
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    try:
        return value.quantize(CENT)
    except InvalidOperation:
        return None  # more digits than a percentage has: 1e999999


def describe_decision(decision: Decision, *, account) -> str:
    """Say in a sentence what happens to an order of this divergence under the draft."""
    words = {"at": percent(decision.divergence_percent), "account": account}
    if decision.reason is Reason.NO_DIVERGENCE:
        return (
            gettext("At %(at)s: no divergence; the order is integrated without consulting the rule.") % words
        )
    if decision.reason is Reason.OVERPAYMENT:
        return (
            gettext(
                "At %(at)s: the marketplace pays more, which %(account)s does not count as a divergence; "
                "integrated."
            )
            % words
        )
    if decision.reason is Reason.GAP:
        return gettext("At %(at)s: in a gap between bands; the order is not integrated (denied).") % words
    if decision.reason is Reason.ABOVE_LAST_BAND:
        return gettext("At %(at)s: above the last band; the order is not integrated (denied).") % words
    band = decision.band
    words["band"] = band_range(band.lower_percent, band.upper_percent)
    if decision.outcome is Outcome.AUTHORIZE:
        return (
            gettext(
                "At %(at)s: the band %(band)s authorizes; the order is integrated and its stock reserved."
            )
            % words
        )
    if decision.outcome is Outcome.MANUAL:
        words["approvers"] = gettext(", then ").join(band.approvers) or gettext("nobody yet")
        words["minutes"] = band.escalate_after_minutes
        held = (
            gettext(
                "At %(at)s: the band %(band)s holds the order for approval by %(approvers)s "
                "(escalating after %(minutes)s min)."
            )
            % words
        )
        deadline = deadline_words(band, account.currency)
        if deadline:
            return gettext("%(held)s At the deadline it is %(deadline)s.") % {
                "held": held,
                "deadline": deadline,
            }
        return held
    return gettext("At %(at)s: the band %(band)s denies; the order is not integrated.") % words


def decision_json(decision: Decision, *, draft: Draft, account) -> dict:
    band = None
    if decision.band is not None:
        band = {
            "form": draft.form_indexes[decision.band_index] if decision.band_index is not None else None,
            "from": format_percent(decision.band.lower_percent),
            "to": format_percent(decision.band.upper_percent),
            "action": str(decision.band.action),
            "approvers": list(decision.band.approvers),
            "escalateAfterMinutes": decision.band.escalate_after_minutes,
            "onDeadline": str(decision.band.on_deadline),
            "deadlineMinutes": decision.band.deadline_minutes,
            "approveUpToCents": decision.band.approve_up_to_cents,
        }
    return {
        "percent": format_percent(decision.divergence_percent),
        "outcome": str(decision.outcome),
        "reason": str(decision.reason),
        "integrates": decision.integrates,
        "gap": decision.reason is Reason.GAP,
        "aboveLastBand": decision.reason is Reason.ABOVE_LAST_BAND,
        "band": band,
        "summary": describe_decision(decision, account=account),
    }
