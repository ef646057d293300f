/*
 * The rule editor's exchange with the server: the preview view reads the draft as edited (the
 * same formset the save reads) and answers what it decides at the percentage asked, what is wrong
 * with it, and the bar's scale for it; the server alone decides and saves. And, while the draft
 * differs from the saved rule, leaving the page asks first.
 */
(function () {
    "use strict";

    const { gettext, say, el, human } = window.ruleEditor;

    /*
     * The preview of `root`'s draft, read from `table`; `bar.toX` places the marker, and
     * `bar.adoptScales` takes the draft's scale. Fires "rule-editor:previewed" with each answer.
     */
    function preview(root, table, bar) {
        const { form, rows, input, formIndex } = table;
        const previewUrl = root.dataset.previewUrl;
        const previewForm = root.querySelector("#rule-preview-form");
        const previewInput = root.querySelector("#rule-preview-at");
        const previewResult = root.querySelector("#rule-preview-result");
        const ruleProblems = root.querySelector("#rule-problems");
        const marker = root.querySelector(".rule-bar .rule-marker");

        let markedAt = null;
        let previewTimer = null;
        let previewSequence = 0;

        /* The marker where the last answer's divergence stands on the bar as it is drawn now. */
        function placeMarker() {
            if (markedAt !== null) {
                marker.style.left = `${bar.toX(markedAt)}%`;
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
            marker.style.left = `${bar.toX(markedAt)}%`;
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
            if (answer.scales) {
                bar.adoptScales(answer.scales);
            }
            root.dispatchEvent(new CustomEvent("rule-editor:previewed", { detail: answer }));
        }

        function schedulePreview() {
            window.clearTimeout(previewTimer);
            previewTimer = window.setTimeout(runPreview, 250);
        }

        previewInput.addEventListener("input", schedulePreview);
        previewForm.addEventListener("submit", (event) => {
            event.preventDefault();
            window.clearTimeout(previewTimer);
            runPreview();
        });
        return { schedule: schedulePreview, placeMarker };
    }

    /* Until the draft is saved or discarded, leaving the page asks first. */
    function guardUnsaved(root, table) {
        const { form, draft } = table;
        // A draft the server showed again (refused, or a version being restored) is not saved either.
        const unsavedOnArrival = root.dataset.unsaved === "true";
        const loaded = draft();
        const discardForm = document.getElementById("rule-discard-form");
        const discardButton = root.querySelector(".rule-discard");
        let leaving = false;
        const changed = () => unsavedOnArrival || draft() !== loaded;
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
        // Redrawn after every edit: the Discard button shows whether there is anything to discard.
        root.addEventListener("rule-editor:drawn", showDiscard);
        showDiscard();
    }

    Object.assign(window.ruleEditor, { preview, guardUnsaved });
})();
