// The meeting page: a decision becomes an RTL row in one click, more decision and RTL rows, a name
// typed in the attendance table ticks "Hadir", and the supporting-agency picker (a filter box, and the chosen names shown in its summary). The page
// works without it; this only saves typing.
(function () {
  "use strict";

  function rows() { return document.getElementById("rtl-rows"); }

  function addRow() {
    var template = document.getElementById("rtl-template"), list = rows();
    var index = list.querySelectorAll(".rtl-row").length;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__N__/g, String(index));
    var row = holder.firstElementChild;
    row.querySelector("legend").firstChild.textContent = "RTL " + (index + 1);
    list.appendChild(row);
    picker(row);
    return row;
  }

  function emptyRow() {
    var all = rows().querySelectorAll(".rtl-row");
    for (var i = 0; i < all.length; i++) {
      var saved = all[i].querySelector("input[name$='-id']");
      var title = all[i].querySelector("input[name$='-title']");
      if (!saved && title && !title.value.trim()) return all[i];
    }
    return addRow();
  }

  function toRtl(button) {
    var input = button.parentNode.querySelector("input[name=decision]");
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    var row = emptyRow();
    row.querySelector("input[name$='-title']").value = text;
    button.classList.add("done");
    button.textContent = button.getAttribute("data-done") + " " + row.querySelector("legend").firstChild.textContent.trim();
    row.scrollIntoView({ block: "center" });
    row.querySelector("select[name$='-owner']").focus();
  }

  function addDecision() {
    var list = document.getElementById("decisions"), items = list.querySelectorAll("li");
    var copy = items[items.length - 1].cloneNode(true), input = copy.querySelector("input");
    var number = items.length + 1;
    input.value = "";
    input.id = "decision-" + (number - 1);
    input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/\d+$/, String(number)));
    var button = copy.querySelector(".to-rtl");
    button.classList.remove("done");
    button.textContent = button.getAttribute("data-label");
    list.appendChild(copy);
    input.focus();
  }

  function showChosen(details) {
    var names = [];
    details.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      names.push(box.parentNode.textContent.trim());
    });
    var chosen = details.querySelector(".chosen");
    chosen.textContent = names.length ? names.join(", ") : chosen.getAttribute("data-none");
  }

  function picker(scope) {
    scope.querySelectorAll("details.picker").forEach(function (details) {
      var filter = details.querySelector(".picker-filter");
      details.addEventListener("change", function () { showChosen(details); });
      filter.addEventListener("input", function () {
        var wanted = filter.value.trim().toLowerCase();
        details.querySelectorAll("fieldset.checks").forEach(function (group) {
          var legend = group.querySelector("legend").textContent.toLowerCase(), any = false;
          group.querySelectorAll("label.check").forEach(function (label) {
            var hit = !wanted || label.textContent.toLowerCase().indexOf(wanted) >= 0 || legend.indexOf(wanted) >= 0;
            label.hidden = !hit;
            any = any || hit;
          });
          group.hidden = !any;
        });
      });
      // Enter in the filter box must not submit the whole notulen.
      filter.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    });
  }

  // Typing who came ticks "Hadir" for that row (untick it for someone recorded as absent).
  function attendance() {
    var form = document.getElementById("attendance-form");
    if (!form) return;
    form.addEventListener("input", function (e) {
      var match = /^att-(\d+)-name$/.exec(e.target.id || "");
      if (!match || e.target.dataset.ticked) return;
      var box = document.getElementById("att-" + match[1] + "-present");
      if (box && e.target.value.trim()) { box.checked = true; e.target.dataset.ticked = "1"; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    attendance();
    var form = document.getElementById("notulen-form");
    if (!form) return;
    document.querySelectorAll(".to-rtl, #decision-more, #rtl-more").forEach(function (b) { b.hidden = false; });
    document.querySelectorAll(".to-rtl").forEach(function (b) { b.setAttribute("data-label", b.textContent); });
    form.addEventListener("click", function (e) {
      var target = e.target;
      if (target.classList.contains("to-rtl")) toRtl(target);
      else if (target.id === "decision-more") addDecision();
      else if (target.id === "rtl-more") addRow().querySelector("input[name$='-title']").focus();
    });
    // Enter on a decision line goes to the next line (a new one at the end), not submit the notulen.
    form.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || e.target.name !== "decision") return;
      e.preventDefault();
      var next = e.target.parentNode.nextElementSibling;
      if (next) next.querySelector("input").focus();
      else addDecision();
    });
    picker(form);
  });
})();
