// Redact by selection (staff testimony page): selecting text in a transcript fills the redaction
// form with the transcript's key, the start and end offsets and the text the selection covers.
//
// Redactions are addressed by code points of the transcript text, while JavaScript strings count
// UTF-16 units, so every length below is counted in code points. Each rendered piece of original
// text (".src") carries data-start, its code-point offset in the transcript; replacements and notes
// around them are not transcript text and are never counted.
(function () {
  "use strict";
  var form = document.getElementById("redaction-form");
  if (!form) return;
  var details = document.getElementById("redaction-details");
  var status = document.getElementById("selection-status");
  var MARK = /\p{M}/u;
  var SPACE = /\s/u;
  var pending = null;

  function codePoints(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) n++;     // a low surrogate finishes a pair counted already
    }
    return n;
  }

  function transcriptOf(node) {
    var el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return el ? el.closest("[data-transcript]") : null;
  }

  // The selected part of each original-text node, in document order.
  function selectedParts(range, section) {
    var parts = [];
    section.querySelectorAll(".src").forEach(function (el) {
      var node = el.firstChild;
      if (!node || node.nodeType !== Node.TEXT_NODE || !range.intersectsNode(node)) return;
      var from = node === range.startContainer ? range.startOffset : 0;
      var to = node === range.endContainer ? range.endOffset : node.data.length;
      if (to > from) parts.push({base: Number(el.dataset.start), node: node, from: from, to: to});
    });
    return parts;
  }

  function describe(range) {
    var section = transcriptOf(range.startContainer);
    if (!section || transcriptOf(range.endContainer) !== section) {
      return {error: "Select text within one transcript."};
    }
    var parts = selectedParts(range, section);
    if (!parts.length) return {error: "The selection holds none of the transcript's own text."};
    var first = parts[0], last = parts[parts.length - 1];
    // Never split a letter from its combining marks (Arabic harakat, accents): the server refuses that.
    while (first.from > 0 && MARK.test(first.node.data.charAt(first.from))) first.from--;
    while (last.to < last.node.data.length && MARK.test(last.node.data.charAt(last.to))) last.to++;
    var text = "", start = null, end = null;
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i];
      var at = p.base + codePoints(p.node.data.slice(0, p.from));
      if (end !== null && at !== end) {
        return {error: "The selection crosses text hidden from you; select a shorter passage."};
      }
      if (start === null) start = at;
      var piece = p.node.data.slice(p.from, p.to);
      text += piece;
      end = at + codePoints(piece);
    }
    // A double-click or a drag often takes the spaces around a word too.
    while (text && SPACE.test(text.charAt(0))) { text = text.slice(1); start++; }
    while (text && SPACE.test(text.charAt(text.length - 1))) { text = text.slice(0, -1); end--; }
    if (!text) return {error: "The selection holds only spaces."};
    return {transcript: section.dataset.transcript, start: start, end: end, text: text};
  }

  function fill(found) {
    if (found.error) { status.textContent = found.error; return; }
    form.elements.transcript.value = found.transcript;
    form.elements.start.value = found.start;
    form.elements.end.value = found.end;
    form.elements.text.value = found.text;
    if (form.elements.field) form.elements.field.value = "";
    if (details) details.open = true;
    status.textContent = "Selected \u201c" + found.text + "\u201d: transcript " + found.transcript + ", " +
      found.start + "\u2013" + found.end + ". Choose a category and replacement, then propose the redaction.";
  }

  function onSelection() {
    pending = null;
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    // Selections elsewhere (the form's own fields, other panels) are not redactions.
    if (!transcriptOf(range.startContainer) && !transcriptOf(range.endContainer)) return;
    fill(describe(range));
  }

  // selectionchange fires for mouse, keyboard and programmatic selections alike; wait until it
  // settles. While a button is held the drag is still going: opening the form then would move the
  // transcript under the pointer and change what is being selected, so wait for the release.
  var held = false;
  function later() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(onSelection, 120);
  }
  document.addEventListener("pointerdown", function () { held = true; if (pending) clearTimeout(pending); });
  document.addEventListener("pointerup", function () { held = false; later(); });
  document.addEventListener("pointercancel", function () { held = false; });
  document.addEventListener("selectionchange", function () { if (!held) later(); });
})();
