// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // On a phone the navigation rows scroll sideways: the current page's tab is brought into view.
  document.querySelectorAll(".tenant-nav [aria-current], .subnav [aria-current]").forEach(function (tab) {
    var row = tab.closest("ul");
    if (row && row.scrollWidth > row.clientWidth) {
      var tabBox = tab.getBoundingClientRect();
      row.scrollLeft += tabBox.left - row.getBoundingClientRect().left - (row.clientWidth - tabBox.width) / 2;
    }
  });

  // Dismissible notices.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      var notice = button.closest(".notice");
      if (notice) notice.remove();
    }
  });

  // Selects that submit their form when changed (the form keeps a submit button for no-JS use).
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.requestSubmit();
    }
  });

  // Buttons that stay disabled until the operator types the confirmation word (the server checks it too).
  function armConfirmButton(input) {
    var button = input.form && input.form.querySelector("[data-confirm-button]");
    if (button) button.disabled = input.value.trim() !== input.dataset.confirmWord;
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-confirm-word]")) armConfirmButton(event.target);
  });
  // htmx:load fires for the page and for every piece HTMX swaps in.
  document.addEventListener("htmx:load", function (event) {
    event.target.querySelectorAll("[data-confirm-word]").forEach(armConfirmButton);
  });

  // Forms that act at a provider: a second click while the first submission is on its way is not sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-submit-once]")) return;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    }, 0);
  });

  // A failed HTMX request (network down, 403, 500) says so instead of doing nothing.
  function showNotice(text) {
    var box = document.getElementById("messages");
    if (!box) return;
    var notice = document.createElement("div");
    notice.className = "notice notice-error";
    notice.setAttribute("role", "alert");
    var span = document.createElement("span");
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "notice-close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "×");
    close.textContent = "×";
    notice.append(span, close);
    box.append(notice);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var lang = document.documentElement.lang;
    var text = lang === "pl"
      ? "Nie udało się (HTTP " + status + "). Odśwież stronę i spróbuj ponownie."
      : "That did not work (HTTP " + status + "). Reload the page and try again.";
    showNotice(text);
  });
  document.addEventListener("htmx:sendError", function () {
    var lang = document.documentElement.lang;
    showNotice(lang === "pl" ? "Brak połączenia z serwerem." : "The server cannot be reached.");
  });
})();
