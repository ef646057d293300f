// The progress page of a bulk decision: poll its small JSON view and add each new result.
(function () {
  "use strict";

  function start() {
    const root = document.querySelector(".oa-bulk[data-progress-url]");
    if (!root || root.dataset.state === "done") {
      return;
    }
    const url = root.dataset.progressUrl;
    let shown = parseInt(root.dataset.shown, 10) || 0;
    const body = document.querySelector("#bulk-results tbody");

    function text(id, value) {
      const element = document.getElementById(id);
      if (element) {
        element.textContent = value;
      }
    }

    function addRow(result) {
      const row = document.createElement("tr");
      row.className = result.ok ? "oa-ok" : "oa-refused";
      const order = document.createElement("td");
      if (result.url) {
        const link = document.createElement("a");
        link.href = result.url;
        link.textContent = result.main_order_id;
        order.appendChild(link);
      } else {
        order.textContent = "#" + result.order;
      }
      const message = document.createElement("td");
      message.textContent = result.message;
      row.append(order, message);
      body.appendChild(row);
    }

    function poll() {
      fetch(url + "?since=" + shown, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((progress) => {
          progress.results.forEach(addRow);
          shown += progress.results.length;
          text("bulk-state", progress.stateLabel);
          text("bulk-done", progress.done);
          text("bulk-total", progress.total);
          text("bulk-decided", progress.decided);
          text("bulk-refused", progress.refused);
          const bar = document.getElementById("bulk-progress");
          if (bar) {
            bar.max = progress.total;
            bar.value = progress.done;
          }
          root.dataset.state = progress.state;
          const outcome = document.getElementById("bulk-outcome");
          if (outcome && progress.summary) {
            outcome.firstElementChild.className = progress.summaryLevel;
            outcome.firstElementChild.textContent = progress.summary;
            outcome.hidden = false;
          }
          if (progress.state !== "done") {
            window.setTimeout(poll, 1500);
          }
        })
        .catch(() => window.setTimeout(poll, 5000));
    }

    window.setTimeout(poll, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
