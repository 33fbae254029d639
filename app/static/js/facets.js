// The reader's search page on a narrow screen: the filters fold under their "Filters" heading so the
// first results show on the first screen; on a wide one they stay open beside the results. Without
// this script a narrow screen lists the filters after the results instead (archive.css).
(function () {
  "use strict";
  var panel = document.querySelector(".facet-panel");
  var layout = document.querySelector(".results-layout");
  if (!panel || !layout || !window.matchMedia) return;
  layout.classList.add("scripted");
  var narrow = window.matchMedia("(max-width: 760px)");
  function fit() { panel.open = !narrow.matches; }
  fit();
  narrow.addEventListener("change", fit);
})();
