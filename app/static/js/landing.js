// Where a search hit lands (/testimonies/ID?hl=word#seg-KEY-N): the segment is brought into view below
// the sticky find bar (not under it) and the words the hit's snippet marked (hl=) are marked in it.
// While the recording's section is scrolled away, its player docks at the foot of the window, so it
// stays in reach from anywhere in the transcript.
(function () {
  "use strict";
  var findBar = document.getElementById("find-form");

  var fold = window.ArchiveFold.fold, folded = window.ArchiveFold.folded;

  function markWords(segment, words) {
    var wanted = words.map(function (w) { return fold(w.trim()); }).filter(Boolean);
    if (!wanted.length || segment.querySelector("mark.landing-hit")) return;
    var nodes = [];
    segment.querySelectorAll(".text").forEach(function (root) {
      var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) nodes.push(walker.currentNode);
    });
    nodes.forEach(function (node) {
      var f = folded(node.nodeValue), spans = [];
      wanted.forEach(function (want) {
        for (var at = f.text.indexOf(want); at !== -1; at = f.text.indexOf(want, at + want.length)) {
          spans.push([f.map[at], f.map[at + want.length - 1] + 1]);
        }
      });
      spans.sort(function (a, b) { return b[0] - a[0]; });     // from the end: earlier offsets stay valid
      var last = Infinity;
      spans.forEach(function (span) {
        if (span[1] > last) return;                             // overlapping another word's mark
        var range = document.createRange();
        range.setStart(node, span[0]);
        range.setEnd(node, span[1]);
        var mark = document.createElement("mark");
        mark.className = "landing-hit";
        range.surroundContents(mark);
        last = span[0];
      });
    });
  }

  function land() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf("seg-") !== 0) return;
    var segment = document.getElementById(id);
    if (!segment) return;
    markWords(segment, new URLSearchParams(location.search).getAll("hl"));
    segment.style.scrollMarginTop = ((findBar ? findBar.offsetHeight : 0) + 12) + "px";
    segment.scrollIntoView({block: "start"});
  }

  var section = document.querySelector("section.recording");
  var player = section && section.querySelector(".player");
  if (player && window.IntersectionObserver) {
    new IntersectionObserver(function (entries) {
      var away = !entries[0].isIntersecting && entries[0].boundingClientRect.bottom < 0;
      if (away && !player.classList.contains("docked")) section.style.minHeight = section.offsetHeight + "px";
      player.classList.toggle("docked", away);
      document.body.classList.toggle("player-docked", away);
      if (!away) section.style.minHeight = "";
    }).observe(section);
  }

  land();
  window.addEventListener("hashchange", land);
})();
