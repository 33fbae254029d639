// A running import's page: polls the job's JSON every second and moves the progress bar, names the
// record being imported and adds each row's result as it comes; when the job ends, the page is
// loaded again for the full report (the server renders it, as it does without JavaScript).
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.dataset.status !== "running") return;
  var bar = document.getElementById("import-progress");
  var count = document.getElementById("import-count");
  var state = document.getElementById("import-state");
  var rows = box.querySelector("table.intake-rows tbody");
  var seen = parseInt(box.dataset.rows, 10) || 0;
  var unit = box.dataset.unit;

  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }

  function addRow(row) {
    if (!rows) return;
    var tr = document.createElement("tr");
    tr.className = row.status === "error" ? "row-error" : "row-ok";
    cell(tr, String(row.line));
    cell(tr, row.accession_id || "\u2013");
    cell(tr, row.status);
    cell(tr, row.status === "error" ? (row.field || "row") + ": " + row.error
      : (row.changes || []).map(function (c) { return c.field; }).join(", "));
    rows.appendChild(tr);
  }

  function poll() {
    fetch(box.dataset.statusUrl + "?since=" + seen, {credentials: "same-origin", cache: "no-store",
                                                    headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (job) {
        bar.max = job.total || 1;
        bar.value = job.done;
        bar.textContent = job.done + " of " + job.total;
        count.textContent = job.done + " of " + job.total + " " + unit;
        if (job.current) state.textContent = "Importing " + job.current + "\u2026";
        job.rows.forEach(addRow);
        seen += job.rows.length;
        if (job.status !== "running") {
          window.location.reload();
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(function (error) {
        state.textContent = "No answer from the server (" + error.message + "); trying again\u2026";
        setTimeout(poll, 3000);
      });
  }

  setTimeout(poll, 1000);
})();
