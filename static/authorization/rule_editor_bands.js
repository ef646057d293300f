/*
 * The band rows of the rule editor: the formset's table read as bands, and, where the reader may
 * edit, each row's approver list and remove / restore button, and a button that adds a band. The
 * table stays the form the server reads and saves; the bar and the preview read it from here.
 */
(function () {
    "use strict";

    const { gettext, el, STEP, fmt, parseNumber, splitEmails, enhanceApprovers } = window.ruleEditor;

    /* Cover 0–100 with the bands and the gaps between them, as the server's segments(). */
    function segmentsOf(bands) {
        const covered = [];
        let cursor = 0;
        for (const band of bands) {
            const lower = Math.max(0, band.from);
            const upper = Math.min(100, band.to);
            if (upper <= lower) {
                continue;
            }
            if (lower > cursor) {
                covered.push({ lower: cursor, upper: lower, kind: "gap" });
            }
            covered.push({ lower, upper, kind: band.action, band, overlap: lower < cursor });
            cursor = Math.max(cursor, upper);
        }
        if (cursor < 100) {
            covered.push({ lower: cursor, upper: 100, kind: "gap" });
        }
        return covered;
    }

    /* The table of `root`'s formset; `changed()` after each edit that its buttons make. */
    function bandTable(root, changed) {
        const prefix = root.dataset.prefix;
        const form = root.querySelector("#rule-form");
        const tbody = root.querySelector("#band-rows");
        const totalForms = form.querySelector(`[name="${prefix}-TOTAL_FORMS"]`);
        const initialForms = form.querySelector(`[name="${prefix}-INITIAL_FORMS"]`);

        function rows() {
            return Array.from(tbody.querySelectorAll("tr.band-row"));
        }

        function input(row, name) {
            return row.querySelector(`[name="${row.dataset.formPrefix}-${name}"]`);
        }

        function formIndex(row) {
            return Number(row.dataset.formPrefix.split("-").pop());
        }

        function isRemoved(row) {
            const box = input(row, "DELETE");
            return Boolean(box && box.checked);
        }

        function bandsOfRows() {
            const bands = [];
            for (const row of rows()) {
                if (isRemoved(row)) {
                    continue;
                }
                const from = parseNumber(input(row, "lower_percent").value);
                const to = parseNumber(input(row, "upper_percent").value);
                if (from === null || to === null) {
                    continue;
                }
                bands.push({ row, from, to, action: input(row, "action").value });
            }
            bands.sort((a, b) => a.from - b.from || a.to - b.to);
            bands.forEach((band, position) => {
                band.number = position + 1;
            });
            return bands;
        }

        /* The draft as the rule sees it: the kept bands' numbers, actions, approvers, delays and deadlines. */
        function draftOf() {
            return JSON.stringify(
                bandsOfRows().map((band) => [
                    band.from,
                    band.to,
                    band.action,
                    splitEmails(input(band.row, "approvers").value),
                    input(band.row, "escalate_after_minutes").value.trim(),
                    input(band.row, "on_deadline").value,
                    input(band.row, "deadline_minutes").value.trim(),
                    input(band.row, "approve_up_to").value.trim(),
                ]),
            );
        }

        function decorateRows() {
            for (const row of rows()) {
                const action = input(row, "action").value;
                row.classList.toggle("is-manual", action === "manual");
                // The minutes and the cap only where the chosen deadline reads them.
                const deadline = input(row, "on_deadline").value;
                row.querySelector(".band-deadline-minutes").hidden = deadline === "wait";
                row.querySelector(".band-deadline-cap").hidden = deadline !== "approve-up-to";
                const swatch = row.querySelector(".band-key .rule-swatch");
                if (swatch) {
                    swatch.className = `rule-swatch is-${action}`;
                }
            }
        }

        function enhanceRemoval(row) {
            const cell = row.querySelector(".band-tools");
            const box = input(row, "DELETE");
            if (!cell || !box || cell.querySelector(".band-toggle")) {
                return;
            }
            const button = el("button", { type: "button", class: "rule-small-button band-toggle" });
            const note = el("span", { class: "band-removed-note" }, gettext("Removed; saving drops this band."));
            cell.append(button);
            function show() {
                const removed = box.checked;
                row.classList.toggle("is-removed", removed);
                button.classList.toggle("band-restore", removed);
                button.textContent = removed ? gettext("Restore band") : gettext("Remove band");
                if (removed) {
                    row.querySelector(".band-key").append(note);
                } else {
                    note.remove();
                }
            }
            button.addEventListener("click", () => {
                box.checked = !box.checked;
                show();
                changed();
                button.focus();
            });
            show();
        }

        function enhanceRow(row) {
            enhanceApprovers(row, input(row, "approvers"), changed);
            enhanceRemoval(row);
        }

        function addBand() {
            const template = root.querySelector("#band-empty-form");
            const index = Number(totalForms.value);
            tbody.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)).trim());
            totalForms.value = String(index + 1);
            const row = tbody.lastElementChild;
            const gap = segmentsOf(bandsOfRows()).find((segment) => segment.kind === "gap" && segment.upper - segment.lower >= STEP);
            if (gap) {
                input(row, "lower_percent").value = fmt(gap.lower);
                input(row, "upper_percent").value = fmt(gap.upper);
            }
            enhanceRow(row);
            changed();
            input(row, "lower_percent").focus();
        }

        /* The empty row that adds a band without JavaScript; "Add band" replaces it. */
        function dropUntouchedExtraRow() {
            const all = rows();
            const last = all[all.length - 1];
            if (!last || formIndex(last) !== all.length - 1 || formIndex(last) < Number(initialForms.value)) {
                return;
            }
            const blank = ["lower_percent", "upper_percent", "approvers"].every((name) => input(last, name).value.trim() === "");
            const troubled = last.querySelector(".band-problems:not(:empty)");
            if (blank && !troubled) {
                last.remove();
                totalForms.value = String(all.length - 1);
            }
        }

        /* For a reader who may edit: the row tools, "Add band", and a redraw on every edit of the form. */
        function makeEditable() {
            dropUntouchedExtraRow();
            rows().forEach(enhanceRow);
            const addButton = el("button", { type: "button", class: "rule-small-button rule-add-band" }, gettext("Add band"));
            addButton.addEventListener("click", addBand);
            form.querySelector(".band-table").after(addButton);
            form.addEventListener("input", (event) => {
                if (event.target.closest(".approver-add")) {
                    return;
                }
                changed();
            });
            form.addEventListener("change", (event) => {
                if (event.target.matches("select")) {
                    changed();
                }
            });
        }

        return { form, rows, input, formIndex, bands: bandsOfRows, draft: draftOf, decorate: decorateRows, makeEditable };
    }

    Object.assign(window.ruleEditor, { segmentsOf, bandTable });
})();
