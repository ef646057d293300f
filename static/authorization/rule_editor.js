/*
 * The price divergence rule editor: draws the 0–100 % bar from the band rows and keeps the two
 * in step. The bar's scale is the server's (`authorization/rule_bar.py`): zoomed to where the
 * band ends are, or the whole 0–100 %, each stretch between two ends wide enough to grab; the
 * page carries it, and the preview answers it again for the draft as edited. The page is a plain
 * formset that works without this script; the script adds the drawing, draggable band ends, the
 * approver list, add / remove band, and asks the server's preview what the draft decides and what
 * is wrong with it. The server alone decides and saves.
 * Its parts load before it, in this order, and meet in `window.ruleEditor`:
 * rule_editor_kit.js (words, numbers, elements), rule_editor_approvers.js (a row's approver list),
 * rule_editor_bands.js (the band rows), rule_editor_preview.js (the preview and the unsaved guard).
 * This one draws the bar and its handles and starts the editor.
 */
(function () {
    "use strict";

    const { gettext, say, el, STEP, LABELS, SHORT_LABELS, round2, fmt, human, percent, segmentsOf, bandTable, preview: previewOf, guardUnsaved } =
        window.ruleEditor;

    function RuleEditor(root) {
        const editable = root.dataset.editable === "true";
        const bar = root.querySelector(".rule-bar");
        const segmentsLayer = bar.querySelector(".rule-segments");
        const handlesLayer = bar.querySelector(".rule-handles");
        const segmentList = root.querySelector("#rule-segment-list");
        const scaleLine = root.querySelector(".rule-scale");
        const barBreak = bar.querySelector(".rule-bar-break");
        const zoomButton = root.querySelector(".rule-zoom");

        let scales = JSON.parse(bar.dataset.scales || "null");
        let view = "zoomed"; // or "whole"

        let dragging = null;

        const table = bandTable(root, render);
        const { input } = table;
        const preview = previewOf(root, table, { toX, adoptScales });

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
            preview.placeMarker();
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
            drawSegments(table.bands());
            preview.schedule();
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

        /* The bar, its handles and its scale as the rows and the scale now are. */
        function redraw() {
            const bands = table.bands();
            drawSegments(bands);
            if (!dragging) {
                drawHandles(bands);
            }
            drawScale();
        }

        function render() {
            table.decorate();
            redraw();
            preview.schedule();
            // The unsaved guard's Discard button follows each drawing.
            root.dispatchEvent(new CustomEvent("rule-editor:drawn"));
        }

        /* The draft's own scale, as the preview answers it; not while a handle is dragged, which would move under the pointer. */
        function adoptScales(answered) {
            if (JSON.stringify(answered) !== JSON.stringify(scales)) {
                scales = answered;
                if (!dragging) {
                    redraw();
                }
            }
        }

        root.classList.add("is-enhanced");
        root.classList.toggle("is-editable", editable);
        if (editable) {
            table.makeEditable();
        }
        if (zoomButton) {
            zoomButton.addEventListener("click", () => {
                view = view === "zoomed" ? "whole" : "zoomed";
                redraw();
            });
        }
        render();
        if (editable) {
            guardUnsaved(root, table);
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
