// Pickers on record forms: type part of a place's or narrator's name, choose it from the list that
// the archive's authority records (or narrators) offer as you type, and its key is added to the field
// below, one per line. Without this script the field takes keys or names typed in by hand.
(function () {
  "use strict";
  document.querySelectorAll(".picker[data-source]").forEach(function (box) {
    var target = document.getElementById(box.dataset.target);
    var find = box.querySelector(".picker-find");
    if (!target || !find) return;
    var input = find.querySelector("input");
    var list = find.querySelector("datalist");
    var add = find.querySelector(".picker-add");
    var said = find.querySelector("[role=status]");
    var timer = null, asked = 0;
    find.hidden = false;

    function keyOf(value) {
      return value.split(" \u00b7 ")[0].trim();
    }

    function pick() {
      var key = keyOf(input.value);
      if (!key) return;
      var lines = target.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
      if (lines.indexOf(key) < 0) lines.push(key);
      target.value = lines.join("\n");
      said.textContent = "Added " + input.value + ".";
      input.value = "";
      input.focus();
    }

    function offer(rows) {
      list.textContent = "";
      rows.forEach(function (row) {
        var option = document.createElement("option");
        option.value = row.id + " \u00b7 " + row.label;
        list.appendChild(option);
      });
    }

    input.addEventListener("input", function (event) {
      // A value chosen from the list (not typed) is added at once.
      if (event.inputType === undefined || event.inputType === "insertReplacementText") {
        for (var i = 0; i < list.options.length; i++) {
          if (list.options[i].value === input.value) { pick(); return; }
        }
      }
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (!q) return;
        var mine = ++asked;
        fetch(box.dataset.source + "&q=" + encodeURIComponent(q), {headers: {Accept: "application/json"},
                                                                     credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : {results: []}; })
          .then(function (data) { if (mine === asked) offer(data.results || []); })
          .catch(function () {});
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); pick(); }
    });
    add.addEventListener("click", pick);
  });
})();
