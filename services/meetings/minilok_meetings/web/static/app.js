// Minilok dashboard: live refresh of the [data-live] parts of a page (Server-Sent Events from
// /live), and one more follow-up row on the meeting page. Works without it, only less live.
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

  function moreRows() {
    var button = document.getElementById("fu-more"), rows = document.getElementById("fu-rows");
    if (!button || !rows) return;
    button.addEventListener("click", function () {
      var all = rows.querySelectorAll(".fu-row"), last = all[all.length - 1];
      var index = all.length, copy = last.cloneNode(true);
      copy.setAttribute("data-index", index);
      copy.querySelector("legend").textContent = "RTL " + (index + 1);
      copy.querySelectorAll("[id]").forEach(function (el) { el.id = el.id.replace(/-\d+$/, "-" + index); });
      copy.querySelectorAll("label[for]").forEach(function (el) { el.htmlFor = el.htmlFor.replace(/-\d+$/, "-" + index); });
      copy.querySelectorAll("input").forEach(function (el) { el.value = ""; });
      copy.querySelectorAll("option").forEach(function (el) { el.selected = false; });
      var support = copy.querySelector("select[multiple]");
      if (support) support.name = "supporting_agency_ids-" + index;
      rows.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { listen(); moreRows(); });
})();
