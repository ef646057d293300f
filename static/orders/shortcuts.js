/*
 * Keyboard shortcuts of the manual-authorization queue and the order page, for approvers who
 * decide one order after another. Both pages work without this script; it only presses what a
 * person could press.
 *
 * The queue: j / k (or the down and up arrows) move a highlight between the rows; Enter or o opens
 * the row's order, x ticks its box, a and d click its .row-approve and .row-deny controls (a row
 * without them ignores the key). The order page: each key clicks, or focuses, the element the
 * server marked with it in aria-keyshortcuts ("a" approve and open the next, "d" the deny reason,
 * "n" and "p" the next and previous order). On both, ? shows the list of shortcuts.
 *
 * No key acts while the reader types in a field or holds Ctrl, Alt or Meta. The words come from
 * the JavaScript catalog (`gettext`: the admin's, which holds the project's) in the reader's language.
 */
(function () {
    "use strict";

    const gettext = window.gettext || ((text) => text);
    const pgettext = window.pgettext || ((context, text) => text);

    const ROW_KEYS = {
        j: "down",
        ArrowDown: "down",
        k: "up",
        ArrowUp: "up",
        Enter: "open",
        o: "open",
        x: "select",
        a: "approve",
        d: "deny",
    };
    // What each key does, as the help lists it: its keys, its words, and what the rows need for it.
    const QUEUE_HELP = [
        [["j", "↓"], gettext("Highlight the next order"), "tr"],
        [["k", "↑"], gettext("Highlight the previous order"), "tr"],
        [[pgettext("keyboard key", "Enter"), "o"], gettext("Open the highlighted order"), "a[href]"],
        [["x"], gettext("Select or unselect the highlighted order"), "input.action-select"],
        [["a"], gettext("Approve the highlighted order"), ".row-approve"],
        [["d"], gettext("Deny the highlighted order"), ".row-deny"],
    ];
    const ORDER_HELP = {
        a: gettext("Approve and open the next order"),
        d: gettext("Deny: choose the reason"),
        n: gettext("Next order waiting for you"),
        p: gettext("Previous order waiting for you"),
    };
    const HELP_KEY = "?";

    function typing(target) {
        if (!(target instanceof Element)) {
            return false;
        }
        if (target.isContentEditable || target.closest("textarea, select")) {
            return true;
        }
        const input = target.closest("input");
        return Boolean(input) && !["checkbox", "radio", "button", "submit", "reset"].includes(input.type);
    }

    function ignored(event) {
        if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.altKey || event.metaKey) {
            return true;
        }
        // "?" is typed with Shift on most keyboards; every other key is meant without it.
        return (event.shiftKey && event.key !== HELP_KEY) || typing(event.target);
    }

    // An element with its attributes and its children, words or elements.
    function make(tag, attributes = {}, ...children) {
        const node = document.createElement(tag);
        Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, value));
        node.append(...children);
        return node;
    }

    // The help: a dialog listing the page's shortcuts, opened by ? or by its link among the page's tools.

    function helpDialog(entries) {
        const list = make("dl");
        for (const [keys, words] of [...entries, [[HELP_KEY], gettext("Show or hide these shortcuts")]]) {
            const shown = keys.flatMap((key, index) => [...(index ? [" / "] : []), make("kbd", {}, key)]);
            list.append(make("dt", {}, ...shown), make("dd", {}, words));
        }
        const close = make("button", { type: "button", class: "button" }, gettext("Close"));
        const dialog = make(
            "dialog",
            { id: "shortcut-help", class: "oa-shortcuts", "aria-labelledby": "shortcut-help-title" },
            make("h2", { id: "shortcut-help-title" }, gettext("Keyboard shortcuts")),
            list,
            make("p", {}, gettext("Shortcuts do nothing while you type in a field.")),
            close,
        );
        close.addEventListener("click", () => dialog.close());
        document.body.append(dialog);
        return dialog;
    }

    function helpToggle(dialog) {
        const tools = document.querySelector("#content .object-tools") || document.querySelector("#content-main");
        if (!tools) {
            return;
        }
        const link = make(
            "a",
            { href: "#shortcut-help", role: "button", "aria-haspopup": "dialog", "aria-keyshortcuts": HELP_KEY, class: "oa-shortcuts-toggle" },
            gettext("Keyboard shortcuts"),
        );
        link.addEventListener("click", (event) => {
            event.preventDefault();
            toggle(dialog);
        });
        tools.prepend(tools.matches("ul") ? make("li", {}, link) : link);
    }

    function toggle(dialog) {
        if (dialog.open) {
            dialog.close();
        } else {
            dialog.showModal();
        }
    }

    // The queue's rows.

    function queue(table) {
        const rows = () => [...table.querySelectorAll("tbody tr")];
        let current = null;

        for (const row of rows()) {
            const open = orderLink(row);
            if (open) {
                open.setAttribute("aria-keyshortcuts", "o");
            }
            row.querySelector("input.action-select")?.setAttribute("aria-keyshortcuts", "x");
            row.querySelector(".row-approve")?.setAttribute("aria-keyshortcuts", "a");
            row.querySelector(".row-deny")?.setAttribute("aria-keyshortcuts", "d");
        }

        function orderLink(row) {
            return [...row.querySelectorAll("a[href]")].find((link) => !link.closest(".row-approve, .row-deny"));
        }

        function highlight(row) {
            current?.classList.remove("oa-row-current");
            current = row;
            row.classList.add("oa-row-current");
            row.tabIndex = -1;
            row.focus();
        }

        // The row the reader is in: the one holding the focus, else the one highlighted last.
        function here() {
            const focused = document.activeElement?.closest?.("#result_list tbody tr");
            return focused || (current && current.isConnected ? current : null);
        }

        return function (event) {
            const action = ROW_KEYS[event.key];
            const all = rows();
            if (!action || !all.length) {
                return false;
            }
            const row = here();
            if (action === "down" || action === "up") {
                const at = row ? all.indexOf(row) : -1;
                const step = action === "down" ? 1 : -1;
                highlight(all[at < 0 ? 0 : Math.min(Math.max(at + step, 0), all.length - 1)]);
                return true;
            }
            // Enter on a link or a button is theirs already.
            if (!row || (event.key === "Enter" && event.target.closest?.("a, button"))) {
                return false;
            }
            const target = {
                open: orderLink(row),
                select: row.querySelector("input.action-select"),
                approve: row.querySelector(".row-approve"),
                deny: row.querySelector(".row-deny"),
            }[action];
            if (!target) {
                return false;
            }
            target.click();
            return true;
        };
    }

    // The order page's marked elements.

    function marked(key) {
        return document.querySelector(`#content [aria-keyshortcuts~="${key}"]`);
    }

    function orderPage() {
        return function (event) {
            if (!(event.key in ORDER_HELP)) {
                return false;
            }
            const target = marked(event.key);
            if (!target) {
                return false;
            }
            if (target.matches("select, textarea, input")) {
                target.focus();
            } else {
                target.click();
            }
            return true;
        };
    }

    function start() {
        const table = document.querySelector("#result_list");
        const act = table ? queue(table) : orderPage();
        const entries = table
            ? QUEUE_HELP.filter(([, , needs]) => table.querySelector(`tbody ${needs}`)).map(([keys, words]) => [keys, words])
            : Object.entries(ORDER_HELP)
                  .filter(([key]) => marked(key))
                  .map(([key, words]) => [[key], words]);
        const dialog = helpDialog(entries);
        helpToggle(dialog);

        document.addEventListener("keydown", (event) => {
            if (ignored(event)) {
                return;
            }
            if (event.key === HELP_KEY) {
                event.preventDefault();
                toggle(dialog);
                return;
            }
            if (!dialog.open && act(event)) {
                event.preventDefault();
            }
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
