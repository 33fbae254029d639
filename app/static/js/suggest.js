// The search box offers words from the reader's own index as they type (GET /api/v1/suggest, which
// answers from the index of the reader's audience), with the ARIA 1.2 combobox pattern: the list is a
// listbox, the highlighted option is the input's aria-activedescendant, arrows move, Enter takes the
// highlighted word and searches, Escape closes. Without this script the box is a plain search field.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  var status = document.getElementById("q-suggestions-status");
  if (!input || !list || !window.fetch) return;
  var form = input.form;
  var options = [];
  var active = -1;
  var timer = null;
  var asked = "";

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  // The last word typed is the one completed; the words before it stay.
  function lastWord(text) { var m = /(\S+)$/.exec(text); return m ? m[1] : ""; }
  function asTyped(word, typed) {
    return typed && typed.charAt(0) !== typed.charAt(0).toLowerCase()
      ? word.charAt(0).toUpperCase() + word.slice(1) : word;
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    options = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(n) {
    if (!options.length) return;
    active = (n + options.length) % options.length;
    options.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", options[active].id);
  }

  function choose(li) {
    var before = input.value.replace(/(\S+)$/, "");
    input.value = before + li.textContent;
    close();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function show(words, typed) {
    close();
    if (!words.length) { status.textContent = ""; return; }
    words.forEach(function (word, i) {
      var li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = asTyped(word, typed);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });   // keep the focus in the box
      li.addEventListener("click", function () { choose(li); });
      list.appendChild(li);
      options.push(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    status.textContent = status.getAttribute("data-hint");
  }

  function ask() {
    var typed = lastWord(input.value);
    if (typed.length < 2) { close(); return; }
    asked = typed;
    fetch("/api/v1/suggest?q=" + encodeURIComponent(typed), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
      .then(function (data) {
        if (asked !== typed) return;                   // a later keystroke asked again
        show((data.suggestions || []).filter(function (w) { return w.toLowerCase() !== typed.toLowerCase(); }), typed);
      })
      .catch(function () { close(); });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      if (list.hidden) { ask(); } else { highlight(active + 1); }
      e.preventDefault();
    } else if (e.key === "ArrowUp" && !list.hidden) {
      highlight(active - 1);
      e.preventDefault();
    } else if (e.key === "Enter" && !list.hidden && active >= 0) {
      e.preventDefault();
      choose(options[active]);
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();
