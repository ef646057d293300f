"""The forms of an admin page, read as a browser reads them, to submit them as a person would.

`forms_in(html, page_url)` returns every form of a page with its controls as rendered: inputs
with their values, checked boxes, selects with their selected options, textareas, the management
forms of inline formsets. `Form.data()` is what a browser posts: enabled controls only,
checkboxes and radios when checked. `filled()` fills the blanks a person must fill (a required
field, or one the admin named in an error), `corrected()` answers the errors the admin showed,
`changed()` alters one harmless visible field, so a save can be seen. `errors_in(html)` reads the
admin's error lists by field.
"""

import copy
import itertools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

TEXT_KINDS = frozenset({"text", "email", "number", "url", "tel", "search", "password", "date", "time"})
BUTTON_KINDS = frozenset({"submit", "image", "button", "reset"})
NOT_SENT = frozenset({"file"})  # the reader cannot pick a file; a form that needs one says so in its errors
TEMPLATE_ROW = "__prefix__"  # the inline formset's empty row, which the formset's total leaves out

_numbers = itertools.count(1)


@dataclass
class Option:
    value: str
    selected: bool
    disabled: bool = False


@dataclass
class Control:
    name: str
    kind: str  # the input's type, or "select" / "textarea"
    value: str = ""
    checked: bool = False
    disabled: bool = False
    readonly: bool = False
    required: bool = False
    multiple: bool = False
    maxlength: int | None = None
    options: list[Option] = field(default_factory=list)
    id: str = ""
    label: str = ""  # the text of its <label>

    @property
    def visible(self) -> bool:
        return self.kind != "hidden" and TEMPLATE_ROW not in self.name

    @property
    def editable(self) -> bool:
        return self.visible and not (self.disabled or self.readonly) and self.kind not in NOT_SENT

    def values(self) -> list[str]:
        """What a browser sends for this control."""
        if self.disabled or self.kind in NOT_SENT:
            return []
        if self.kind in ("checkbox", "radio"):
            return [self.value] if self.checked else []
        if self.kind == "select":
            chosen = [option.value for option in self.options if option.selected]
            if not chosen and not self.multiple and self.options:
                chosen = [self.options[0].value]  # a browser shows, and sends, the first option
            return chosen if self.multiple else chosen[:1]
        return [self.value]

    def is_blank(self) -> bool:
        return not any(value.strip() for value in self.values())


@dataclass
class Form:
    action: str  # as written in the page; `url` resolves it
    method: str
    id: str
    page_url: str
    controls: list[Control] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # submit buttons: (name or "", value)

    @property
    def url(self) -> str:
        return urljoin(self.page_url, self.action or self.page_url)

    @property
    def submittable(self) -> bool:
        """Whether a person can send it: a read-only page shows its fields but no button."""
        return bool(self.buttons)

    def named(self, name: str) -> list[Control]:
        return [control for control in self.controls if control.name == name]

    def __contains__(self, name: str) -> bool:
        return bool(self.named(name))

    def data(self, button: str | None = None) -> dict[str, list[str]]:
        """The submission, as a browser builds it when the form is sent with the named button
        (or without one: Enter in a field, or a button without a name)."""
        data: dict[str, list[str]] = {}
        for control in self.controls:
            for value in control.values():
                data.setdefault(control.name, []).append(value)
        if button is not None:
            pressed = [value for name, value in self.buttons if name and name == button]
            assert pressed, f"the form has no button named {button!r}"
            data.setdefault(button, []).append(pressed[0])
        return data

    def copy(self) -> "Form":
        return copy.deepcopy(self)

    def set(self, name: str, value: str | list[str] | bool) -> "Form":
        """Set a control as a person would: type in a field, choose options, tick a box."""
        controls = self.named(name)
        assert controls, f"the form has no control named {name!r}"
        for control in controls:
            if control.kind == "select":
                wanted = set(value) if isinstance(value, list) else {value}
                known = {option.value for option in control.options}
                assert wanted <= known, f"{name}: {sorted(wanted - known)} is not among the options"
                for option in control.options:
                    option.selected = option.value in wanted
            elif control.kind == "checkbox" and isinstance(value, bool):
                control.checked = value
            elif control.kind in ("checkbox", "radio"):
                control.checked = control.value == value
            else:
                control.value = value
        return self

    def filled(self, names: frozenset[str] | None = None) -> "Form":
        """A copy with the blanks filled: every required one, or those named (the fields an error named)."""
        form = self.copy()
        for control in form.controls:
            wanted = control.required if names is None else control.name in names
            if wanted and control.editable and control.is_blank():
                fill(control)
        return form

    def corrected(self, errors: dict[str, list[str]]) -> "Form":
        """A copy answering the admin's errors as a person would: a blank field it names filled, a
        filled one given another value (an id already taken); for an error of the whole form
        ("… with this Account and Affiliate id already exists"), the text fields it names by label."""
        form = self.filled(frozenset(errors) - {"__all__"})
        named = set(errors) - {"__all__"}
        whole = " ".join(errors.get("__all__", [])).lower()
        for control in form.controls:
            if control.label and control.label.lower() in whole and control.kind in TEXT_KINDS:
                named.add(control.name)
        for control in form.controls:
            if control.name in named and control.editable and not control.is_blank():
                alter(control)
        return form

    def changed(self, first: str = "checkbox") -> tuple["Form", str]:
        """A copy with one harmless visible field altered, and that field's name.

        A field of the form itself (not of an inline row): a checkbox flipped, which every value
        of it accepts, else a text field, else a select's next choice; `first="text"` tries text
        fields first (a new row told apart from the one it was copied from).
        """
        form = self.copy()
        candidates = [control for control in form.controls if control.editable]
        candidates.sort(key=lambda control: "-" in control.name)  # the form's own fields first
        texts = TEXT_KINDS - {"password", "date", "time"} | {"textarea"}
        order = [{"checkbox"}, texts] if first == "checkbox" else [texts, {"checkbox"}]
        for kinds in (*order, {"select"}):
            for control in candidates:
                if control.kind in kinds and not control.multiple and alter(control):
                    return form, control.name
        raise AssertionError(f"the form {self.id or self.url} has no field a person could change")


PASSWORD = "Sturdy-Lantern-Orchard-42"  # one for every password field: a new one and its confirmation agree


def fill(control: Control) -> None:
    number = next(_numbers)
    if control.kind == "select":
        for option in control.options:
            option.selected = False
        choices = [option for option in control.options if option.value and not option.disabled]
        if choices:
            choices[0].selected = True
    elif control.kind == "checkbox":
        control.checked = True
    elif control.kind == "email":
        control.value = f"new.member{number}@acme.example"
    elif control.kind == "number":
        control.value = "1"
    elif control.kind == "url":
        control.value = f"https://example.com/{number}"
    elif control.kind == "password":
        control.value = PASSWORD
    else:
        control.value = f"7{number:04d}"  # digits: an id, a name or a code alike


def alter(control: Control) -> bool:
    """Change the control's value to another valid one; False if it has none to give."""
    if control.kind == "checkbox":
        control.checked = not control.checked
        return True
    if control.kind == "select":
        choices = [option.value for option in control.options if option.value and not option.disabled]
        current = control.values()[0] if control.values() else None
        position = choices.index(current) if current in choices else len(choices)
        # The choice just before the current one (a role one step down, never up to Owner), else after.
        others = choices[:position][::-1] + choices[position + 1 :]
        if not others:
            return False
        for option in control.options:
            option.selected = option.value == others[0]
        return True
    if not control.value.strip():
        return False
    if control.kind == "number":
        try:
            control.value = str(int(control.value) + 1)
        except ValueError:
            return False
        return True
    if control.kind == "email":
        control.value = "changed." + control.value
        return True
    value = control.value + "2"
    if control.maxlength is not None and len(value) > control.maxlength:
        value = control.value[: control.maxlength - 1] + ("2" if control.value[-1] != "2" else "3")
    control.value = value
    return True


class _Reader(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Control | None = None
        self.option: Option | None = None
        self.option_text: list[str] = []
        self.textarea: Control | None = None
        self.errors: dict[str, list[str]] = {}
        self.error_key: str | None = None
        self.error_depth = 0
        self.error_text: list[str] | None = None
        self.labels: dict[str, str] = {}
        self.label_for: str | None = None
        self.label_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {key: (value if value is not None else "") for key, value in attrs}
        self._error_start(tag, attributes)
        if tag == "label" and attributes.get("for"):
            self.label_for, self.label_text = attributes["for"], []
        if tag == "form":
            self.form = Form(
                action=attributes.get("action", ""),
                method=attributes.get("method", "get").lower(),
                id=attributes.get("id", ""),
                page_url=self.page_url,
            )
            self.forms.append(self.form)
            return
        if self.form is None or "form" in attributes:
            return  # outside any form, or tied to one elsewhere by its `form` attribute
        if tag == "input":
            self._input(attributes)
        elif tag == "button":
            if attributes.get("type", "submit").lower() == "submit":
                self.form.buttons.append((attributes.get("name", ""), attributes.get("value", "")))
        elif tag == "select" and attributes.get("name"):
            self.select = self._control(attributes, "select")
            self.select.multiple = "multiple" in attributes
        elif tag == "option" and self.select is not None:
            self.option = Option(attributes.get("value"), "selected" in attributes, "disabled" in attributes)
            self.option_text = []
            self.select.options.append(self.option)
        elif tag == "textarea" and attributes.get("name"):
            self.textarea = self._control(attributes, "textarea")

    def _input(self, attributes):
        kind = attributes.get("type", "text").lower()
        if kind in BUTTON_KINDS:
            if kind in ("submit", "image"):
                self.form.buttons.append((attributes.get("name", ""), attributes.get("value", "")))
            return
        if not attributes.get("name"):
            return
        control = self._control(attributes, kind)
        default = "on" if kind in ("checkbox", "radio") else ""
        control.value = attributes.get("value", default)
        control.checked = "checked" in attributes

    def _control(self, attributes, kind) -> Control:
        maxlength = attributes.get("maxlength", "")
        control = Control(
            name=attributes["name"],
            kind=kind,
            disabled="disabled" in attributes,
            readonly="readonly" in attributes,
            required="required" in attributes,
            maxlength=int(maxlength) if maxlength.isdigit() else None,
            id=attributes.get("id", ""),
        )
        self.form.controls.append(control)
        return control

    def handle_data(self, data):
        if self.option is not None:
            self.option_text.append(data)
        if self.textarea is not None:
            self.textarea.value += data
        if self.error_text is not None:
            self.error_text.append(data)
        if self.label_for is not None:
            self.label_text.append(data)

    def handle_endtag(self, tag):
        self._error_end(tag)
        if tag == "label" and self.label_for is not None:
            self.labels[self.label_for] = " ".join("".join(self.label_text).split()).rstrip(":")
            self.label_for = None
        if tag == "option" and self.option is not None:
            if self.option.value is None:
                self.option.value = "".join(self.option_text).strip()
            self.option = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # As in a browser: the newline right after <textarea> is not part of the value.
            self.textarea.value = self.textarea.value.removeprefix("\r\n").removeprefix("\n")
            self.textarea = None
        elif tag == "form":
            self.form = None

    # Error lists: <ul class="errorlist" id="id_<field>_error"><li>…</li></ul>

    def _error_start(self, tag, attributes):
        if tag == "ul" and "errorlist" in attributes.get("class", "").split():
            if self.error_key is None:
                classes = attributes.get("class", "").split()
                key = attributes.get("id", "").removeprefix("id_").removesuffix("_error")
                self.error_key = "__all__" if "nonfield" in classes or not key else key
                self.errors.setdefault(self.error_key, [])
            self.error_depth += 1
        elif tag == "li" and self.error_key is not None:
            self.error_text = []

    def _error_end(self, tag):
        if tag == "li" and self.error_text is not None and self.error_key is not None:
            self.errors[self.error_key].append(" ".join("".join(self.error_text).split()))
            self.error_text = None
        elif tag == "ul" and self.error_key is not None:
            self.error_depth -= 1
            if not self.error_depth:
                self.error_key = None


def _read(html: str, page_url: str) -> _Reader:
    reader = _Reader(page_url)
    reader.feed(html)
    reader.close()
    for form in reader.forms:
        for control in form.controls:
            control.label = reader.labels.get(control.id, "")
    return reader


def forms_in(html: str, page_url: str) -> list[Form]:
    """Every form of the page, in order; `page_url` is where the page was read (a form posts there
    when it names no action)."""
    return _read(html, page_url).forms


def post_forms_in(html: str, page_url: str) -> list[Form]:
    return [form for form in forms_in(html, page_url) if form.method == "post"]


def errors_in(html: str) -> dict[str, list[str]]:
    """The page's error lists: {field name, or "__all__" for the form's own: [messages]}."""
    return _read(html, "").errors
