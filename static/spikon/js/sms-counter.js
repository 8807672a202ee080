// SPIKON SMS counter: characters and SMS parts while typing. Progressive enhancement only: the server
// checks the same rules (spikon.forms.sms_parts) and the review step shows the count without this file.
(function () {
  "use strict";

  // GSM 03.38: the basic alphabet (one septet each) and the extension table (escape + septet: two).
  var GSM7_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENDED = "^{}\\[~]|€\f";

  function count(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return GSM7_BASIC.indexOf(c) >= 0 || GSM7_EXTENDED.indexOf(c) >= 0; });
    var units, single, multi;
    if (gsm) {
      units = chars.reduce(function (sum, c) { return sum + (GSM7_EXTENDED.indexOf(c) >= 0 ? 2 : 1); }, 0);
      single = 160; multi = 153;
    } else {
      units = text.length; // UTF-16 code units, as UCS-2 counts them (an emoji takes two)
      single = 70; multi = 67;
    }
    var parts = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { gsm: gsm, characters: chars.length, parts: parts };
  }

  function update(counter, textarea) {
    // The form sends line breaks as CRLF; the server counts each as one character, as here.
    var text = textarea.value.replace(/\r\n?/g, "\n");
    var result = count(text);
    var max = parseInt(counter.dataset.max, 10);
    var words = result.characters + " / " + max + " " +
      (result.gsm ? counter.dataset.textGsm : counter.dataset.textUnicode) +
      " · " + result.parts + " " + counter.dataset.textParts;
    if (result.characters > max) words += " · " + counter.dataset.textOver;
    counter.textContent = words;
    counter.classList.toggle("spikon-counter-over", result.characters > max);
  }

  function start() {
    var counter = document.querySelector("[data-sms-counter]");
    var textarea = document.querySelector(".spikon-sms-form textarea[name=message]");
    if (!counter || !textarea) return;
    textarea.addEventListener("input", function () { update(counter, textarea); });
    update(counter, textarea);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
