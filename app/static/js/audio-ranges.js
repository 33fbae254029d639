// Silenced ranges drawn on a recording's timeline: the start and end fields of the range form are
// filled from the playback position (buttons, or [ / I and ] / O on the player or the timeline), by
// dragging across the timeline, or typed (m:ss.mmm or seconds; the server checks them again). The
// timeline shows the ranges already proposed or approved, the one being drawn and the playhead.
// Styles are set from script (element.style), which the Content-Security-Policy allows, unlike
// style attributes.
(function () {
  "use strict";
  var editor = document.getElementById("range-editor");
  var audio = document.getElementById("range-audio");
  var bar = document.getElementById("range-timeline");
  var form = document.getElementById("range-form");
  if (!editor || !audio || !bar || !form) { return; }
  var duration = Number(editor.dataset.duration);
  var startField = form.elements.start, endField = form.elements.end;
  var position = document.getElementById("range-position");
  var STEP = 1, BIG_STEP = 10, DRAG_PIXELS = 4;

  // The page's own clock: m:ss.mmm, as the server writes it (app/staff/media_routes.py clock).
  function clock(seconds) {
    var millis = Math.round(seconds * 1000), minutes = Math.floor(millis / 60000);
    var rest = ((millis - minutes * 60000) / 1000).toFixed(3);
    return minutes + ":" + (rest.length < 6 ? "0" : "") + rest;
  }
  // What the server accepts: m:ss, h:mm:ss or seconds, with an optional fraction; NaN otherwise.
  function seconds(text) {
    var match = /^(?:(?:(\d+):)?(\d+):)?(\d+(?:[.,]\d*)?)$/.exec(String(text).trim());
    if (!match) { return NaN; }
    var s = Number(match[3].replace(",", "."));
    if ((match[2] !== undefined && s >= 60) || (match[1] !== undefined && Number(match[2]) >= 60)) { return NaN; }
    return Number(match[1] || 0) * 3600 + Number(match[2] || 0) * 60 + s;
  }
  function clamp(t) { return Math.max(0, Math.min(duration, t)); }

  // --- the timeline ---------------------------------------------------------------------------
  bar.style.position = "relative";
  bar.style.height = "2.4rem";
  bar.style.margin = ".5rem 0";
  bar.style.background = "#e9e6dd";
  bar.style.border = "1px solid #8a8578";
  bar.style.borderRadius = "3px";
  bar.style.cursor = "crosshair";
  bar.style.touchAction = "none";
  bar.style.userSelect = "none";
  audio.style.width = "100%";

  function block(colour, label) {
    var el = document.createElement("div");
    el.style.position = "absolute";
    el.style.top = "0";
    el.style.bottom = "0";
    el.style.background = colour;
    el.style.pointerEvents = "none";
    el.style.overflow = "hidden";
    el.style.boxSizing = "border-box";
    if (label) {
      el.textContent = label;
      el.style.color = "#fff";
      el.style.font = "bold 11px system-ui, sans-serif";
      el.style.padding = "2px";
    }
    bar.appendChild(el);
    return el;
  }
  function place(el, from, to) {
    el.style.left = (100 * from / duration) + "%";
    el.style.width = Math.max(0, 100 * (to - from) / duration) + "%";
  }

  document.querySelectorAll("#range-marks li").forEach(function (item) {
    var el = block(item.dataset.state === "approved" ? "rgba(150, 20, 20, .75)" : "rgba(200, 90, 20, .6)",
                   item.dataset.key);
    el.title = item.dataset.key + " (" + item.dataset.state + ")";
    place(el, Number(item.dataset.start), Number(item.dataset.end));
  });
  var drawn = block("rgba(0, 90, 190, .45)", "");
  drawn.style.outline = "2px solid #005abe";
  drawn.style.display = "none";
  var head = block("#1d1d1f", "");
  head.style.width = "2px";
  head.style.marginLeft = "-1px";

  function redraw() {
    var from = seconds(startField.value), to = seconds(endField.value);
    if (isFinite(from) && isFinite(to) && to > from) {
      drawn.style.display = "block";
      place(drawn, clamp(from), clamp(to));
    } else {
      drawn.style.display = "none";
    }
  }
  function showPosition() {
    var t = clamp(audio.currentTime || 0);
    head.style.left = (100 * t / duration) + "%";
    position.value = clock(t);
    bar.setAttribute("aria-valuenow", t.toFixed(3));
    bar.setAttribute("aria-valuetext", clock(t));
  }

  // --- marking ---------------------------------------------------------------------------------
  function mark(field) {
    field.value = clock(clamp(audio.currentTime || 0));
    // a start marked after the end (or an end before the start) begins a new range
    var from = seconds(startField.value), to = seconds(endField.value);
    if (isFinite(from) && isFinite(to) && to <= from) {
      (field === startField ? endField : startField).value = "";
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function seek(t) {
    audio.currentTime = clamp(t);
    showPosition();
  }

  document.getElementById("mark-start").addEventListener("click", function () { mark(startField); });
  document.getElementById("mark-end").addEventListener("click", function () { mark(endField); });
  [startField, endField].forEach(function (f) { f.addEventListener("input", redraw); });
  audio.addEventListener("timeupdate", showPosition);
  audio.addEventListener("seeked", showPosition);
  audio.addEventListener("loadedmetadata", showPosition);
  // A transcript redaction's estimate (or its confirmed range) is only where listening starts: the
  // fields are filled, the redaction chosen and the player set a little before, to be corrected by ear.
  var which = form.elements.redaction;
  document.querySelectorAll("button.placement-use").forEach(function (button) {
    button.addEventListener("click", function () {
      startField.value = clock(clamp(Number(button.dataset.start)));
      endField.value = clock(clamp(Number(button.dataset.end)));
      if (which) { which.value = button.dataset.redaction; }
      redraw();
      seek(Number(button.dataset.start) - 2);
      bar.focus();
    });
  });
  document.querySelectorAll("button.range-play").forEach(function (button) {
    button.addEventListener("click", function () {
      seek(Number(button.dataset.start));
      audio.play().catch(function () { /* the archivist presses play: nothing is lost */ });
    });
  });

  // On the player or the timeline (never while typing in a field): marks, and the timeline's keys.
  editor.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "[" || key === "i" || key === "I") {
      mark(startField);
    } else if (key === "]" || key === "o" || key === "O") {
      mark(endField);
    } else if (event.target !== bar) {
      return;                     // the player's own keys are the player's
    } else if (key === "ArrowRight" || key === "ArrowUp") {
      seek(audio.currentTime + (event.shiftKey ? BIG_STEP : STEP));
    } else if (key === "ArrowLeft" || key === "ArrowDown") {
      seek(audio.currentTime - (event.shiftKey ? BIG_STEP : STEP));
    } else if (key === "Home") {
      seek(0);
    } else if (key === "End") {
      seek(duration);
    } else if (key === " " || key === "Spacebar") {
      if (audio.paused) { audio.play().catch(function () {}); } else { audio.pause(); }
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);

  // Dragging across the timeline draws a range; a click without a drag moves the position.
  function at(event) {
    var rect = bar.getBoundingClientRect();
    return clamp((event.clientX - rect.left) / rect.width * duration);
  }
  var press = null;
  bar.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) { return; }
    press = { x: event.clientX, t: at(event), dragging: false };
    bar.setPointerCapture(event.pointerId);
    bar.focus();
    event.preventDefault();
  });
  bar.addEventListener("pointermove", function (event) {
    if (!press) { return; }
    if (!press.dragging && Math.abs(event.clientX - press.x) < DRAG_PIXELS) { return; }
    press.dragging = true;
    var t = at(event);
    startField.value = clock(Math.min(press.t, t));
    endField.value = clock(Math.max(press.t, t));
    redraw();
  });
  bar.addEventListener("pointerup", function (event) {
    if (!press) { return; }
    if (!press.dragging) { seek(at(event)); }
    press = null;
  });
  bar.addEventListener("pointercancel", function () { press = null; });

  redraw();
  showPosition();
}());
