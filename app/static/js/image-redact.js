// Draw redaction boxes on a photo: drag to draw, and the form below gets the box in the photo's own
// pixels (as displayed, EXIF orientation applied). Existing boxes are outlined. Styles are set from
// script (element.style), which the Content-Security-Policy allows, unlike style attributes.
(function () {
  "use strict";
  var figure = document.getElementById("redact-figure");
  var image = document.getElementById("redact-image");
  var form = document.getElementById("box-form");
  if (!figure || !image || !form) { return; }
  var width = Number(figure.dataset.width), height = Number(figure.dataset.height);
  var fields = ["x0", "y0", "x1", "y1"].map(function (name) { return form.elements[name]; });

  figure.style.position = "relative";
  figure.style.display = "inline-block";
  figure.style.margin = "0";
  figure.style.cursor = "crosshair";
  figure.style.userSelect = "none";
  figure.style.touchAction = "none";
  image.style.display = "block";
  image.style.maxWidth = "100%";
  image.style.height = "auto";

  function overlay(colour, label) {
    var el = document.createElement("div");
    el.style.position = "absolute";
    el.style.border = "2px solid " + colour;
    el.style.boxSizing = "border-box";
    el.style.pointerEvents = "none";
    if (label) {
      el.textContent = label;
      el.style.color = colour;
      el.style.font = "bold 12px system-ui, sans-serif";
      el.style.background = "rgba(255,255,255,.6)";
    }
    figure.appendChild(el);
    return el;
  }

  // photo pixels <-> on-screen pixels
  function scale() { return image.clientWidth / width; }
  function place(el, box) {
    var s = scale();
    el.style.left = box[0] * s + "px";
    el.style.top = box[1] * s + "px";
    el.style.width = (box[2] - box[0]) * s + "px";
    el.style.height = (box[3] - box[1]) * s + "px";
  }
  function toPhoto(event) {
    var rect = image.getBoundingClientRect(), s = scale();
    var x = Math.round((event.clientX - rect.left) / s), y = Math.round((event.clientY - rect.top) / s);
    return [Math.max(0, Math.min(width, x)), Math.max(0, Math.min(height, y))];
  }

  var existing = [];
  document.querySelectorAll("#redact-boxes li").forEach(function (item) {
    var box = item.dataset.box.split(",").map(Number);
    existing.push([overlay("#c00", item.dataset.key), box]);
  });
  var drawn = overlay("#06c", "");
  drawn.style.display = "none";

  function current() { return fields.map(function (f) { return Number(f.value); }); }
  function redraw() {
    existing.forEach(function (pair) { place(pair[0], pair[1]); });
    var box = current();
    if (fields.every(function (f) { return f.value !== ""; }) && box[2] > box[0] && box[3] > box[1]) {
      drawn.style.display = "block";
      place(drawn, box);
    } else {
      drawn.style.display = "none";
    }
  }

  var start = null;
  figure.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) { return; }
    start = toPhoto(event);
    figure.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  figure.addEventListener("pointermove", function (event) {
    if (!start) { return; }
    var end = toPhoto(event);
    var box = [Math.min(start[0], end[0]), Math.min(start[1], end[1]),
               Math.max(start[0], end[0]), Math.max(start[1], end[1])];
    fields.forEach(function (f, i) { f.value = box[i]; });
    redraw();
  });
  function finish() {
    if (!start) { return; }
    start = null;
    if (drawn.style.display === "block") { form.elements.reason.focus(); }
  }
  figure.addEventListener("pointerup", finish);
  figure.addEventListener("pointercancel", finish);
  fields.forEach(function (f) { f.addEventListener("input", redraw); });
  window.addEventListener("resize", redraw);
  if (image.complete) { redraw(); } else { image.addEventListener("load", redraw); }
}());
