// SerwerSMS.pl pages, progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  var PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  var PASSWORD_LENGTH = 16;

  function randomPassword() {
    var values = new Uint32Array(PASSWORD_LENGTH);
    window.crypto.getRandomValues(values);
    var password = "";
    for (var i = 0; i < values.length; i++) {
      password += PASSWORD_ALPHABET.charAt(values[i] % PASSWORD_ALPHABET.length);
    }
    return password;
  }

  // A generated password is shown as text, so that it can be noted before the form is sent.
  function offerPasswordGenerator(root) {
    root.querySelectorAll("[data-generate-password]").forEach(function (button) {
      var input = document.getElementById(button.dataset.generatePassword);
      if (!input) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        input.type = "text";
        input.value = randomPassword();
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  // Only the fields of the chosen sign-in method are shown.
  function followAuthMethod(root) {
    root.querySelectorAll("form[data-auth-form]").forEach(function (form) {
      function update() {
        var chosen = form.querySelector("input[name=auth_method]:checked");
        form.querySelectorAll("[data-auth-method]").forEach(function (fieldset) {
          fieldset.hidden = chosen !== null && fieldset.dataset.authMethod !== chosen.value;
        });
      }
      form.addEventListener("change", update);
      update();
    });
  }

  function enhance(root) {
    offerPasswordGenerator(root);
    followAuthMethod(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
})();
