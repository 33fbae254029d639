// The recording and its transcript, kept together: the segment being heard is highlighted (class
// "playing", aria-current="time"); a segment's timecode seeks there and plays; a #seg-... link (a
// search hit) seeks there on load; with the player focused, Space plays or pauses and the arrow
// keys go 5 seconds back or forward.
(function () {
  'use strict';
  // A recording or a video: both are media elements, played and sought the same way.
  const audio = document.querySelector('audio.player, video.player');
  if (!audio) return;
  const STEP = 5;

  // Every timed segment of every transcript (translations share the original's times); a segment
  // without an end runs to the next one's start in its transcript. A transcript read beside its
  // translation is cut into rows: its cells share data-transcript.
  const segments = [];
  const byTranscript = new Map();
  document.querySelectorAll('.transcript').forEach(function (cell, n) {
    const key = cell.dataset.transcript || ('#' + n);
    if (!byTranscript.has(key)) byTranscript.set(key, []);
    byTranscript.get(key).push.apply(byTranscript.get(key), cell.querySelectorAll('.segment[data-start]'));
  });
  byTranscript.forEach(function (timed) {
    timed.forEach(function (el, i) {
      const next = timed[i + 1];
      const end = el.dataset.end !== undefined ? parseFloat(el.dataset.end)
        : (next ? parseFloat(next.dataset.start) : Infinity);
      segments.push({ el: el, start: parseFloat(el.dataset.start), end: end });
    });
  });

  let active = [];
  function highlight() {
    const t = audio.currentTime;
    const now = segments.filter(function (s) { return t >= s.start && t < s.end; });
    if (now.length === active.length && now.every(function (s, i) { return s === active[i]; })) return;
    active.forEach(function (s) { s.el.classList.remove('playing'); s.el.removeAttribute('aria-current'); });
    now.forEach(function (s) { s.el.classList.add('playing'); s.el.setAttribute('aria-current', 'time'); });
    active = now;
  }

  function seek(seconds, play) {
    const limit = isFinite(audio.duration) ? audio.duration : Infinity;
    audio.currentTime = Math.max(0, Math.min(seconds, limit));
    highlight();
    if (play) {
      audio.play().catch(function () { /* the reader presses play: nothing is lost */ });
    }
  }

  audio.addEventListener('timeupdate', highlight);
  audio.addEventListener('seeked', highlight);

  document.addEventListener('click', function (event) {
    const link = event.target.closest('a.tc');
    const segment = link && link.closest('.segment[data-start]');
    if (!segment) return;
    event.preventDefault();
    history.replaceState(null, '', link.getAttribute('href'));
    seek(parseFloat(segment.dataset.start), true);
  });

  // Listened for on the way down (capture), and stopped there: Chromium's own controls would
  // otherwise act on the same key a second time (Space would pause and play again at once).
  function isSpace(event) { return event.key === ' ' || event.key === 'Spacebar'; }
  window.addEventListener('keydown', function (event) {
    if (event.target !== audio || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isSpace(event)) {
      if (audio.paused) {
        audio.play().catch(function () {});
      } else {
        audio.pause();
      }
    } else if (event.key === 'ArrowRight') {
      seek(audio.currentTime + STEP, false);
    } else if (event.key === 'ArrowLeft') {
      seek(audio.currentTime - STEP, false);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);
  ['keyup', 'keypress'].forEach(function (type) {
    window.addEventListener(type, function (event) {
      if (event.target === audio && (isSpace(event) || event.key === 'ArrowRight' || event.key === 'ArrowLeft')) {
        event.preventDefault();
        event.stopPropagation();
      }
    }, true);
  });

  function fromHash() {
    const id = decodeURIComponent(location.hash.slice(1));
    const segment = id.indexOf('seg-') === 0 ? document.getElementById(id) : null;
    if (!segment || segment.dataset.start === undefined) return;
    const start = parseFloat(segment.dataset.start);
    if (audio.readyState >= 1) {
      seek(start, false);
    } else {
      audio.addEventListener('loadedmetadata', function () { seek(start, false); }, { once: true });
    }
  }
  fromHash();
  window.addEventListener('hashchange', fromHash);
}());
