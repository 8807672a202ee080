// SPIKON announcements: the live character count of an announcement's text (progressive enhancement only:
// the textarea's maxlength and the server's check hold without it).
(function () {
  "use strict";

  function characters(text) {
    // As the server counts: code points, a line break as one character.
    return Array.from(text.replace(/\r\n/g, "\n")).length;
  }

  function update(textarea) {
    var counter = document.getElementById("text-counter");
    if (!counter) return;
    var max = parseInt(counter.dataset.max, 10);
    var count = characters(textarea.value);
    var lang = document.documentElement.lang;
    counter.textContent = lang === "pl"
      ? "Znaki: " + count + " / " + max
      : "Characters: " + count + " / " + max;
    counter.classList.toggle("spikon-counter-over", count > max);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-text-counter]")) update(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var textarea = document.querySelector("textarea[data-text-counter]");
    if (textarea) update(textarea);
  });
})();
