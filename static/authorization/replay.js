/*
 * "Replay on past orders" in the rule editor: posts the bands as edited (the same form the
 * live preview reads) to the replay view and shows its answer in place. Without this script
 * the Replay button posts the same form and the answer opens as a page of its own.
 * Its words come from the JavaScript catalog (`gettext`), loaded before it.
 */
(function () {
    "use strict";

    const gettext = window.gettext || ((text) => text);

    function start() {
        const section = document.getElementById("rule-replay");
        const form = document.getElementById("rule-form");
        if (!section || !form) {
            return;
        }
        const button = section.querySelector(".rule-replay-run");
        const output = section.querySelector("#rule-replay-result");
        const url = `${section.dataset.replayUrl}?fragment=1`;
        let sequence = 0;

        async function replay(event) {
            event.preventDefault();
            const mine = ++sequence;
            const data = new FormData(form);
            data.set("replay_days", section.querySelector("#rule-replay-days").value);
            button.disabled = true;
            output.setAttribute("aria-busy", "true");
            output.textContent = gettext("Replaying…");
            try {
                const response = await fetch(url, {
                    method: "POST",
                    body: data,
                    credentials: "same-origin",
                    headers: { Accept: "text/html" },
                });
                if (!response.ok && response.status !== 400) {
                    throw new Error(`HTTP ${response.status}`);
                }
                const html = await response.text();
                if (mine === sequence) {
                    output.innerHTML = html;
                }
            } catch (error) {
                if (mine === sequence) {
                    output.textContent = gettext("The replay is not available right now; try again in a moment.");
                }
            } finally {
                if (mine === sequence) {
                    button.disabled = false;
                    output.removeAttribute("aria-busy");
                }
            }
        }

        button.addEventListener("click", replay);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
