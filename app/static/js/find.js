// Find in transcript: marks every match in the transcript text, counts them, and steps through them.
// Matching ignores case, Latin accents, Arabic short vowels and tatweel, like the archive's search.
(function () {
  "use strict";
  var form = document.getElementById("find-form");
  if (!form) return;
  var input = document.getElementById("find-input");
  var status = document.getElementById("find-status");
  var marks = [];
  var current = -1;

  var fold = window.ArchiveFold.fold, folded = window.ArchiveFold.folded;

  function clear() {
    marks.forEach(function (m) {
      var parent = m.parentNode;
      parent.replaceChild(document.createTextNode(m.textContent), m);
      parent.normalize();
    });
    marks = [];
    current = -1;
  }

  function textNodes() {
    var nodes = [];
    document.querySelectorAll(".transcript .text").forEach(function (root) {
      var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        // Staff see struck-through originals beside replacements; search what the page says for both.
        if (walker.currentNode.nodeValue.trim()) nodes.push(walker.currentNode);
      }
    });
    return nodes;
  }

  function find(needle) {
    clear();
    var want = fold(needle.trim());
    if (!want) { status.textContent = ""; return; }
    textNodes().forEach(function (node) {
      var f = folded(node.nodeValue), hits = [], at = 0;
      while ((at = f.text.indexOf(want, at)) !== -1) { hits.push([f.map[at], f.map[at + want.length - 1] + 1]); at += want.length; }
      for (var k = hits.length - 1; k >= 0; k--) {
        var range = document.createRange();
        range.setStart(node, hits[k][0]);
        range.setEnd(node, hits[k][1]);
        var mark = document.createElement("mark");
        mark.className = "find-hit";
        range.surroundContents(mark);
        marks.unshift(mark);
      }
    });
    marks.sort(function (a, b) { return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1; });
    if (marks.length) { go(0); } else { status.textContent = "No matches"; }
  }

  function go(i) {
    if (!marks.length) return;
    if (current >= 0) marks[current].classList.remove("find-current");
    current = (i + marks.length) % marks.length;
    var mark = marks[current];
    mark.classList.add("find-current");
    mark.scrollIntoView({block: "center"});
    status.textContent = (current + 1) + " of " + marks.length;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (marks.length && fold(input.value.trim()) === input.dataset.last) { go(current + 1); return; }
    input.dataset.last = fold(input.value.trim());
    find(input.value);
  });
  document.getElementById("find-next").addEventListener("click", function () { go(current + 1); });
  document.getElementById("find-prev").addEventListener("click", function () { go(current - 1); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.shiftKey) { event.preventDefault(); go(current - 1); }
    if (event.key === "Escape") { clear(); status.textContent = ""; }
  });
})();
