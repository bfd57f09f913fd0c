// Minilok dashboard: live refresh of the [data-live] parts of a page (Server-Sent Events from
// /live), one more follow-up row on the meeting page, and the browser's own checks of a form
// field said in the page's language ("Wajib diisi", not "Please fill out this field"). Works
// without it, only less live.
(function () {
  "use strict";

  function refresh() {
    fetch(location.href, { credentials: "same-origin", headers: { "X-Live-Refresh": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var next = fresh.getElementById(el.id);
          // Never pull a form away from someone typing in it.
          if (next && !el.contains(document.activeElement)) el.innerHTML = next.innerHTML;
        });
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {});
  }

  function listen() {
    var state = document.getElementById("live-state");
    if (!document.querySelector("[data-live]") || !window.EventSource) return;
    var source = new EventSource("/live"), opened = false, timer = null;
    source.addEventListener("open", function () {
      if (state) state.textContent = state.getAttribute("data-on");
      document.body.setAttribute("data-live-connected", "1");
      if (opened) refresh();  // reconnected: catch up on what happened meanwhile
      opened = true;
    });
    source.addEventListener("error", function () { if (state) state.textContent = state.getAttribute("data-off"); });
    source.addEventListener("change", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
  }

  var CHECKS = {
    id: {
      valueMissing: "Wajib diisi.",
      url: "Tulis alamat web lengkap, mis. https://contoh.go.id/kabar",
      email: "Tulis alamat email, mis. nama@contoh.go.id",
      typeMismatch: "Bentuk isian tidak sesuai.",
      badInput: "Tulis angka atau tanggal yang valid.",
      rangeUnderflow: "Paling kecil {min}.",
      rangeOverflow: "Paling besar {max}.",
      stepMismatch: "Tulis angka bulat.",
      tooLong: "Terlalu panjang (paling banyak {maxlength} karakter).",
      tooShort: "Terlalu pendek (paling sedikit {minlength} karakter).",
      patternMismatch: "Bentuk isian tidak sesuai."
    },
    en: {
      valueMissing: "This field is required.",
      url: "Write a full web address, e.g. https://example.org/news",
      email: "Write an email address, e.g. name@example.org",
      typeMismatch: "This is not in the expected form.",
      badInput: "Write a valid number or date.",
      rangeUnderflow: "At least {min}.",
      rangeOverflow: "At most {max}.",
      stepMismatch: "Write a whole number.",
      tooLong: "Too long (at most {maxlength} characters).",
      tooShort: "Too short (at least {minlength} characters).",
      patternMismatch: "This is not in the expected form."
    }
  };

  function checkMessage(el) {
    var words = CHECKS[document.documentElement.lang === "en" ? "en" : "id"], v = el.validity, key = null;
    ["valueMissing", "typeMismatch", "badInput", "rangeUnderflow", "rangeOverflow", "stepMismatch",
     "tooLong", "tooShort", "patternMismatch"].some(function (k) { if (v[k]) { key = k; } return key; });
    if (!key) return "";
    if (key === "typeMismatch" && (el.type === "url" || el.type === "email")) key = el.type;
    if (key === "patternMismatch" && el.title) return el.title;
    return words[key].replace(/\{(\w+)\}/g, function (_, name) { return el.getAttribute(name) || ""; });
  }

  function sayChecksInPageLanguage() {
    document.addEventListener("invalid", function (event) {
      var el = event.target;
      if (!el.setCustomValidity) return;
      el.setCustomValidity("");
      if (!el.validity.valid) el.setCustomValidity(checkMessage(el));
    }, true);
    // A custom message keeps a field invalid until it is cleared: clear it whenever the value changes.
    ["input", "change"].forEach(function (type) {
      document.addEventListener(type, function (event) {
        if (event.target.setCustomValidity) event.target.setCustomValidity("");
      }, true);
    });
  }

  sayChecksInPageLanguage();
  document.addEventListener("DOMContentLoaded", function () { listen(); });
})();
