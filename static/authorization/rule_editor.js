/*
 * The price divergence rule editor: draws the 0–100 % bar from the band rows and keeps the two
 * in step. The bar's scale is the server's (`authorization/rule_bar.py`): zoomed to where the
 * band ends are, or the whole 0–100 %, each stretch between two ends wide enough to grab; the
 * page carries it, and the preview answers it again for the draft as edited. The page is a plain formset that works without this script; the script adds the
 * drawing, draggable band ends, the approver list, add / remove band, and asks the server's
 * preview what the draft decides and what is wrong with it. The server alone decides and saves.
 * Its words come from the JavaScript catalog (`gettext`, loaded before it) in the reader's
 * language; numbers people read are written as that language writes them (12,5 % in Portuguese),
 * numbers put back in the form's fields stay plain (12.5).
 */
(function () {
    "use strict";

    // The catalog's functions; the words as written when the catalog could not be loaded.
    const gettext = window.gettext || ((text) => text);
    const interpolate = window.interpolate || ((text, names) => text.replace(/%\((\w+)\)s/g, (_, name) => String(names[name])));
    // `say(gettext("… %(name)s …"), { name })`: gettext() stays literal so that makemessages finds the words.
    const say = (text, names) => interpolate(text, names, true);

    const STEP = 0.5; // dragging snaps to half a percent
    const LABELS = {
        authorize: gettext("Authorize"),
        manual: gettext("Hold for approval"),
        deny: gettext("Deny"),
        gap: gettext("Not integrated (gap)"),
    };
    const SHORT_LABELS = {
        authorize: gettext("Authorize"),
        manual: gettext("Approval"),
        deny: gettext("Deny"),
        gap: gettext("Not integrated"),
    };
    const NUMBER = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });

    function el(tag, attrs, text) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attrs || {})) {
            node.setAttribute(name, value);
        }
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    }

    function round2(number) {
        return Math.round(number * 100) / 100;
    }

    /* A number for a form's field: 12.5. */
    function fmt(number) {
        return String(round2(number));
    }

    /* A number for people: 12,5 in Portuguese. */
    function human(number) {
        return NUMBER.format(round2(number));
    }

    function percent(number) {
        return `${human(number)} %`;
    }

    function parseNumber(text) {
        const trimmed = String(text || "").trim().replace(",", ".");
        if (trimmed === "") {
            return null;
        }
        const number = Number(trimmed);
        return Number.isFinite(number) ? number : null;
    }

    function splitEmails(text) {
        return String(text || "").split(/[\s,;]+/).filter(Boolean);
    }

    function RuleEditor(root) {
        const editable = root.dataset.editable === "true";
        const prefix = root.dataset.prefix;
        const previewUrl = root.dataset.previewUrl;
        const form = root.querySelector("#rule-form");
        const tbody = root.querySelector("#band-rows");
        const totalForms = form.querySelector(`[name="${prefix}-TOTAL_FORMS"]`);
        const initialForms = form.querySelector(`[name="${prefix}-INITIAL_FORMS"]`);
        const bar = root.querySelector(".rule-bar");
        const segmentsLayer = bar.querySelector(".rule-segments");
        const handlesLayer = bar.querySelector(".rule-handles");
        const marker = bar.querySelector(".rule-marker");
        const segmentList = root.querySelector("#rule-segment-list");
        const previewForm = root.querySelector("#rule-preview-form");
        const previewInput = root.querySelector("#rule-preview-at");
        const previewResult = root.querySelector("#rule-preview-result");
        const ruleProblems = root.querySelector("#rule-problems");
        const scaleLine = root.querySelector(".rule-scale");
        const barBreak = bar.querySelector(".rule-bar-break");
        const zoomButton = root.querySelector(".rule-zoom");

        let scales = JSON.parse(bar.dataset.scales || "null");
        let view = "zoomed"; // or "whole"
        let markedAt = null;

        let dragging = null;
        let previewTimer = null;
        let previewSequence = 0;

        /* Between the scale's knots of [divergence, place on the bar], read one column from the other. */
        function alongKnots(value, from, to) {
            const knots = scales ? scales[view].knots : [[0, 0], [100, 100]];
            const clamped = Math.min(100, Math.max(0, value));
            for (let index = 1; index < knots.length; index++) {
                const [lower, upper] = [knots[index - 1], knots[index]];
                if (clamped <= upper[from]) {
                    const span = upper[from] - lower[from];
                    return span === 0 ? lower[to] : lower[to] + ((upper[to] - lower[to]) * (clamped - lower[from])) / span;
                }
            }
            return 100;
        }

        /* Where a divergence stands on the bar, in percent of its width. */
        function toX(point) {
            return alongKnots(point, 0, 1);
        }

        /* The divergence at a place on the bar, in percent of its width. */
        function toPercent(x) {
            return alongKnots(x, 1, 0);
        }

        function drawScale() {
            if (!scales) {
                return;
            }
            const scale = scales[view];
            scaleLine.replaceChildren(
                ...scale.ticks.map(([at, label]) => {
                    // The zoomed stretch's last tick ends at the break, leaving the tail to "… to 100 %".
                    const tick = el("span", { class: at === scale.breakAt ? "rule-tick is-zoom-end" : "rule-tick" }, label);
                    tick.style.left = `${at}%`;
                    return tick;
                }),
            );
            if (barBreak) {
                barBreak.hidden = scale.breakAt === null;
                if (scale.breakAt !== null) {
                    barBreak.style.left = `${scale.breakAt}%`;
                }
            }
            if (zoomButton) {
                zoomButton.hidden = !scales.zoomable && view === "zoomed";
                zoomButton.setAttribute("aria-pressed", String(view === "whole"));
            }
            if (markedAt !== null) {
                marker.style.left = `${toX(markedAt)}%`;
            }
        }

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

        function segmentText(segment) {
            const names = {
                range: `${human(segment.lower)}–${percent(segment.upper)}`,
                label: LABELS[segment.kind] || segment.kind,
                number: segment.band ? segment.band.number : "",
            };
            const text = segment.band ? say(gettext("%(range)s: band %(number)s, %(label)s"), names) : say(gettext("%(range)s: %(label)s"), names);
            return segment.overlap ? say(gettext("%(text)s (overlaps another band)"), { text }) : text;
        }

        function drawSegments(bands) {
            const covered = segmentsOf(bands);
            segmentsLayer.replaceChildren(
                ...covered.map((segment) => {
                    const node = el("div", {
                        class: `rule-segment is-${segment.kind}${segment.overlap ? " is-overlap" : ""}`,
                        title: segmentText(segment),
                    });
                    const left = toX(segment.lower);
                    node.style.left = `${left}%`;
                    node.style.width = `${toX(segment.upper) - left}%`;
                    // The name and the range, on one line or two; where neither fits, in the list below the bar.
                    const label = el("span", { class: "rule-segment-label" });
                    label.append(
                        el("span", { class: "rule-segment-name" }, SHORT_LABELS[segment.kind] || segment.kind),
                        " ",
                        el("span", { class: "rule-segment-range" }, `${human(segment.lower)}–${percent(segment.upper)}`),
                    );
                    node.append(label);
                    return node;
                }),
            );
            segmentList.replaceChildren(...covered.map((segment) => el("li", {}, segmentText(segment))));
        }

        /* A handle per band end; where one band ends and the next begins, one handle moves both. */
        function handlesOf(bands) {
            const valid = bands.filter((band) => band.from >= 0 && band.to <= 100 && band.from < band.to);
            const handles = [];
            for (const band of valid) {
                const joined = valid.some((other) => other !== band && other.to === band.from);
                if (!joined) {
                    handles.push({ position: band.from, ends: [{ band, name: "lower_percent" }] });
                }
                const next = valid.filter((other) => other !== band && other.from === band.to);
                handles.push({
                    position: band.to,
                    ends: [{ band, name: "upper_percent" }, ...next.map((other) => ({ band: other, name: "lower_percent" }))],
                });
            }
            for (const handle of handles) {
                const moved = new Set(handle.ends.map((end) => end.band));
                let lowest = 0;
                let highest = 100;
                for (const end of handle.ends) {
                    if (end.name === "upper_percent") {
                        lowest = Math.max(lowest, end.band.from + STEP);
                    } else {
                        highest = Math.min(highest, end.band.to - STEP);
                    }
                }
                // Never drag one band over another.
                for (const other of valid) {
                    if (moved.has(other)) {
                        continue;
                    }
                    if (other.to <= handle.position) {
                        lowest = Math.max(lowest, other.to);
                    }
                    if (other.from >= handle.position) {
                        highest = Math.min(highest, other.from);
                    }
                }
                handle.min = Math.min(lowest, handle.position);
                handle.max = Math.max(highest, handle.position);
                handle.key = handle.ends.map((end) => `${end.band.row.dataset.formPrefix}:${end.name}`).join("|");
                const ends = handle.ends.map((end) =>
                    end.name === "upper_percent"
                        ? say(gettext("end of band %(number)s"), { number: end.band.number })
                        : say(gettext("start of band %(number)s"), { number: end.band.number }),
                );
                handle.label = say(gettext("Boundary: %(ends)s"), {
                    ends: ends.reduce((first, second) => say(gettext("%(first)s and %(second)s"), { first, second })),
                });
            }
            return handles;
        }

        function placeHandle(node, handle) {
            node.style.left = `${toX(handle.position)}%`;
            node.setAttribute("aria-valuenow", String(handle.position));
            node.setAttribute("aria-valuetext", percent(handle.position));
            node.setAttribute("aria-valuemin", String(handle.min));
            node.setAttribute("aria-valuemax", String(handle.max));
            node.querySelector(".rule-handle-value").textContent = percent(handle.position);
        }

        function moveHandle(handle, node, percent) {
            let position = Math.round(percent / STEP) * STEP;
            position = round2(Math.min(handle.max, Math.max(handle.min, position)));
            if (position === handle.position) {
                return;
            }
            handle.position = position;
            for (const end of handle.ends) {
                input(end.band.row, end.name).value = fmt(position);
            }
            placeHandle(node, handle);
            drawSegments(bandsOfRows());
            schedulePreview();
        }

        function drawHandles(bands) {
            if (!editable) {
                return;
            }
            const focusedKey = document.activeElement && document.activeElement.dataset.handleKey;
            handlesLayer.replaceChildren();
            for (const handle of handlesOf(bands)) {
                const node = el("div", {
                    class: "rule-handle",
                    role: "slider",
                    tabindex: "0",
                    "aria-label": handle.label,
                    "aria-orientation": "horizontal",
                    title: handle.label,
                    "data-handle-key": handle.key,
                });
                node.append(el("span", { class: "rule-handle-value" }));
                placeHandle(node, handle);
                node.addEventListener("pointerdown", (event) => {
                    if (event.button !== 0) {
                        return;
                    }
                    event.preventDefault();
                    node.setPointerCapture(event.pointerId);
                    node.classList.add("is-dragging");
                    node.focus();
                    dragging = { handle, node };
                });
                node.addEventListener("pointermove", (event) => {
                    if (!dragging || dragging.node !== node) {
                        return;
                    }
                    const box = bar.getBoundingClientRect();
                    moveHandle(handle, node, toPercent(((event.clientX - box.left) / box.width) * 100));
                });
                const stop = () => {
                    if (!dragging || dragging.node !== node) {
                        return;
                    }
                    dragging = null;
                    node.classList.remove("is-dragging");
                    render();
                };
                node.addEventListener("pointerup", stop);
                node.addEventListener("pointercancel", stop);
                node.addEventListener("lostpointercapture", stop);
                node.addEventListener("keydown", (event) => {
                    const moves = {
                        ArrowLeft: -STEP,
                        ArrowDown: -STEP,
                        ArrowRight: STEP,
                        ArrowUp: STEP,
                        PageDown: -5,
                        PageUp: 5,
                    };
                    let target = null;
                    if (event.key in moves) {
                        target = handle.position + moves[event.key];
                    } else if (event.key === "Home") {
                        target = handle.min;
                    } else if (event.key === "End") {
                        target = handle.max;
                    }
                    if (target === null) {
                        return;
                    }
                    event.preventDefault();
                    moveHandle(handle, node, target);
                    render();
                });
                handlesLayer.append(node);
                if (focusedKey && focusedKey === handle.key) {
                    node.focus();
                }
            }
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

        /* The bar, its handles and its scale as the rows and the scale now are. */
        function redraw() {
            const bands = bandsOfRows();
            drawSegments(bands);
            if (!dragging) {
                drawHandles(bands);
            }
            drawScale();
        }

        function render() {
            decorateRows();
            redraw();
            schedulePreview();
            root.dispatchEvent(new CustomEvent("rule-editor:drawn"));
        }

        /* The approvers of a row as an ordered list, written back to the row's textarea. */
        function enhanceApprovers(row) {
            const textarea = input(row, "approvers");
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
                render();
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
                render();
                button.focus();
            });
            show();
        }

        function enhanceRow(row) {
            if (!editable) {
                return;
            }
            enhanceApprovers(row);
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
            render();
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

        function showProblems(answer) {
            for (const node of root.querySelectorAll(".band-problems")) {
                node.replaceChildren();
            }
            for (const node of form.querySelectorAll("[aria-invalid]")) {
                node.removeAttribute("aria-invalid");
            }
            const byIndex = new Map(rows().map((row) => [formIndex(row), row]));
            for (const problem of [...answer.errors, ...answer.warnings]) {
                const row = problem.form === null ? null : byIndex.get(problem.form);
                let target = ruleProblems;
                if (row) {
                    target = row.querySelector(`.band-problems[data-field="${problem.field}"]`) || row.querySelector('.band-problems[data-field="row"]');
                    const field = problem.field && input(row, problem.field);
                    if (field && problem.level === "error") {
                        field.setAttribute("aria-invalid", "true");
                    }
                }
                target.append(el("p", { class: `band-${problem.level}` }, problem.message));
            }
            const stale = form.querySelector(".errornote");
            if (stale && answer.errors.length === 0) {
                stale.remove();
            }
        }

        function showDecision(decision) {
            for (const row of rows()) {
                row.classList.remove("is-previewed");
            }
            previewResult.className = "rule-preview-result";
            if (!decision) {
                marker.hidden = true;
                markedAt = null;
                previewResult.textContent =
                    previewInput.value.trim() === "" ? "" : say(gettext("Type a percentage, e.g. %(example)s."), { example: human(12.5) });
                return;
            }
            previewResult.textContent = decision.summary;
            previewResult.classList.add(`is-${decision.outcome}`);
            marker.hidden = false;
            markedAt = Math.min(100, Math.abs(Number(decision.percent)));
            marker.style.left = `${toX(markedAt)}%`;
            marker.title = decision.summary;
            if (decision.band && decision.band.form !== null) {
                const row = rows().find((candidate) => formIndex(candidate) === decision.band.form);
                if (row) {
                    row.classList.add("is-previewed");
                }
            }
        }

        async function runPreview() {
            const data = new FormData(form);
            data.set("at", previewInput.value);
            const mine = ++previewSequence;
            let answer;
            try {
                const response = await fetch(previewUrl, {
                    method: "POST",
                    body: data,
                    credentials: "same-origin",
                    headers: { Accept: "application/json" },
                });
                if (!response.ok) {
                    throw new Error(`HTTP ${response.status}`);
                }
                answer = await response.json();
            } catch (error) {
                if (mine === previewSequence) {
                    previewResult.textContent = gettext("The preview is not available right now; saving still checks the rule.");
                }
                return;
            }
            if (mine !== previewSequence) {
                return; // a newer draft was sent meanwhile
            }
            showProblems(answer);
            showDecision(answer.decision);
            // The draft's own scale; not while a handle is dragged, which would move under the pointer.
            if (answer.scales && JSON.stringify(answer.scales) !== JSON.stringify(scales)) {
                scales = answer.scales;
                if (!dragging) {
                    redraw();
                }
            }
            root.dispatchEvent(new CustomEvent("rule-editor:previewed", { detail: answer }));
        }

        function schedulePreview() {
            window.clearTimeout(previewTimer);
            previewTimer = window.setTimeout(runPreview, 250);
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

        /* Until the draft is saved or discarded, leaving the page asks first. */
        function guardUnsaved() {
            // A draft the server showed again (refused, or a version being restored) is not saved either.
            const unsavedOnArrival = root.dataset.unsaved === "true";
            const loaded = draftOf();
            const discardForm = document.getElementById("rule-discard-form");
            const discardButton = root.querySelector(".rule-discard");
            let leaving = false;
            const changed = () => unsavedOnArrival || draftOf() !== loaded;
            const showDiscard = () => {
                if (discardButton && document.activeElement !== discardButton) {
                    discardButton.hidden = !changed();
                }
            };
            window.addEventListener("beforeunload", (event) => {
                if (!leaving && changed()) {
                    event.preventDefault();
                    event.returnValue = ""; // older browsers ask only when this is set
                }
            });
            form.addEventListener("submit", () => {
                leaving = true;
            });
            if (discardForm) {
                discardForm.addEventListener("submit", () => {
                    leaving = true;
                });
            }
            root.addEventListener("rule-editor:drawn", showDiscard);
            showDiscard();
        }

        root.classList.add("is-enhanced");
        root.classList.toggle("is-editable", editable);
        if (editable) {
            dropUntouchedExtraRow();
            rows().forEach(enhanceRow);
            const addButton = el("button", { type: "button", class: "rule-small-button rule-add-band" }, gettext("Add band"));
            addButton.addEventListener("click", addBand);
            form.querySelector(".band-table").after(addButton);
            form.addEventListener("input", (event) => {
                if (event.target.closest(".approver-add")) {
                    return;
                }
                render();
            });
            form.addEventListener("change", (event) => {
                if (event.target.matches("select")) {
                    render();
                }
            });
        }
        previewInput.addEventListener("input", schedulePreview);
        if (zoomButton) {
            zoomButton.addEventListener("click", () => {
                view = view === "zoomed" ? "whole" : "zoomed";
                redraw();
            });
        }
        previewForm.addEventListener("submit", (event) => {
            event.preventDefault();
            window.clearTimeout(previewTimer);
            runPreview();
        });
        render();
        if (editable) {
            guardUnsaved();
        }
    }

    function start() {
        const root = document.getElementById("rule-editor");
        if (root) {
            RuleEditor(root);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
