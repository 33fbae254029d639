// The segment editor: a click in a segment's text fills its split form with the code-point offset
// of the nearest word boundary there (the server checks it again: never inside a redaction or
// between a letter and its combining marks).
(function () {
  "use strict";

  function caretAt(x, y) {
    if (document.caretPositionFromPoint) {
      var pos = document.caretPositionFromPoint(x, y);
      return pos && { node: pos.offsetNode, offset: pos.offset };
    }
    if (document.caretRangeFromPoint) {
      var range = document.caretRangeFromPoint(x, y);
      return range && { node: range.startContainer, offset: range.startOffset };
    }
    return null;
  }

  // Offsets are code points (as the server counts them); JavaScript strings count UTF-16 units.
  function codePoints(text) {
    return Array.from(text).length;
  }

  function isMark(ch) {
    return /\p{M}/u.test(ch);
  }

  document.querySelectorAll(".segment-text[data-split-form]").forEach(function (box) {
    var form = document.getElementById(box.dataset.splitForm);
    if (!form) { return; }
    var input = form.querySelector(".split-offset");
    box.addEventListener("click", function (event) {
      var caret = caretAt(event.clientX, event.clientY);
      if (!caret || caret.node.nodeType !== Node.TEXT_NODE) { return; }
      var piece = caret.node.parentElement;
      if (!piece || !piece.classList.contains("src")) { return; }   // redacted text: no split there
      var text = caret.node.data;
      var at = caret.offset;
      // Move to the start of the word clicked (after a space), keeping marks with their letters.
      while (at > 0 && !/\s/.test(text[at - 1])) { at -= 1; }
      while (at < text.length && isMark(text[at])) { at += 1; }
      input.value = Number(piece.dataset.start) + codePoints(text.slice(0, at));
      input.focus();
    });
  });
}());
