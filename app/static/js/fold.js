// The transcript's folding for the page's scripts (find.js, landing.js): case, Latin accents, Arabic
// short vowels, tatweel and letter forms, like the archive's search. Loaded before them.
window.ArchiveFold = (function () {
  "use strict";
  function fold(ch) {
    return ch.normalize("NFD").replace(/[\u0300-\u036f\u064b-\u065f\u0670\u0640]/g, "").toLowerCase()
      .replace(/[\u0623\u0625\u0622\u0671]/g, "\u0627").replace(/\u0649/g, "\u064a").replace(/\u0629/g, "\u0647");
  }
  // The folded text of a node, with the index in the original string of each folded character.
  function folded(text) {
    var out = "", map = [];
    for (var i = 0; i < text.length; i++) {
      var f = fold(text[i]);
      for (var j = 0; j < f.length; j++) { out += f[j]; map.push(i); }
    }
    map.push(text.length);
    return {text: out, map: map};
  }
  return {fold: fold, folded: folded};
})();
