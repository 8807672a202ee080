// Progressive enhancement for Numery-Premium.PL pages; every form also works without it.
(function () {
  "use strict";
  // A "type the number to confirm" button starts disabled when scripts run (app.js enables it on a match);
  // without scripts it stays enabled and the server checks the typed number.
  document.querySelectorAll("form [data-confirm-word]").forEach(function (input) {
    var button = input.form.querySelector("[data-confirm-button]");
    if (button) button.disabled = input.value.trim() !== input.dataset.confirmWord;
  });
})();
