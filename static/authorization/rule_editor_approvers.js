/*
 * The approver list of a band row in the rule editor: the row's textarea of e-mails shown as an
 * ordered list to add to, reorder and remove from. The textarea stays the form's field (and
 * what the page has without JavaScript); every change is written back to it.
 */
(function () {
    "use strict";

    const { gettext, say, el, splitEmails } = window.ruleEditor;

    /* The approvers in `textarea` as an ordered list; `changed()` after each edit the list makes. */
    function enhanceApprovers(row, textarea, changed) {
        if (!textarea || row.querySelector(".approver-editor")) {
            return;
        }
        const box = el("div", { class: "approver-editor" });
        const list = el("ol", { class: "approver-list", "aria-label": gettext("Approvers, in escalation order") });
        const adder = el("div", { class: "approver-add" });
        const field = el("input", {
            type: "email",
            list: "approver-options",
            placeholder: gettext("Add an approver's e-mail"),
            "aria-label": gettext("Add an approver's e-mail"),
            autocomplete: "off",
        });
        const addButton = el("button", { type: "button", class: "rule-small-button" }, gettext("Add"));
        adder.append(field, addButton);
        box.append(list, adder);
        textarea.after(box);

        function write(emails, focus) {
            textarea.value = emails.join("\n");
            draw(focus);
            changed();
        }

        function draw(focus) {
            const emails = splitEmails(textarea.value);
            list.replaceChildren(
                ...emails.map((email, index) => {
                    const item = el("li");
                    const button = (label, title, text) =>
                        el("button", { type: "button", class: "rule-small-button", "aria-label": say(label, { email }), title }, text);
                    const up = button(gettext("Move %(email)s up"), gettext("Move up"), "↑");
                    const down = button(gettext("Move %(email)s down"), gettext("Move down"), "↓");
                    const remove = button(gettext("Remove %(email)s"), gettext("Remove"), "✕");
                    up.disabled = index === 0;
                    down.disabled = index === emails.length - 1;
                    up.addEventListener("click", () => {
                        const moved = emails.slice();
                        [moved[index - 1], moved[index]] = [moved[index], moved[index - 1]];
                        write(moved, { index: index - 1, which: index - 1 === 0 ? "down" : "up" });
                    });
                    down.addEventListener("click", () => {
                        const moved = emails.slice();
                        [moved[index + 1], moved[index]] = [moved[index], moved[index + 1]];
                        write(moved, { index: index + 1, which: index + 1 === emails.length - 1 ? "up" : "down" });
                    });
                    remove.addEventListener("click", () => {
                        write(emails.filter((_, kept) => kept !== index), { field: true });
                    });
                    item.append(el("span", { class: "approver-email" }, email), up, down, remove);
                    item.dataset.index = String(index);
                    return item;
                }),
            );
            if (focus && focus.field) {
                field.focus();
            } else if (focus) {
                const item = list.children[focus.index];
                const button = item && item.querySelectorAll("button")[focus.which === "up" ? 0 : 1];
                if (button) {
                    button.focus();
                }
            }
        }

        function add() {
            const emails = splitEmails(textarea.value);
            const known = new Set(emails.map((email) => email.toLowerCase()));
            for (const email of splitEmails(field.value)) {
                if (!known.has(email.toLowerCase())) {
                    emails.push(email);
                    known.add(email.toLowerCase());
                }
            }
            field.value = "";
            write(emails, { field: true });
        }

        addButton.addEventListener("click", add);
        field.addEventListener("keydown", (event) => {
            if (event.key === "Enter") {
                event.preventDefault();
                add();
            }
        });
        textarea.addEventListener("input", () => draw());
        draw();
    }

    window.ruleEditor.enhanceApprovers = enhanceApprovers;
})();
