// Minilok pickers: an area chosen by name (suggestions from /pickers/areas as one types) and a
// search box that narrows a long <select> of indicators. Without this script the page still
// works: the typed name is looked up when the form is sent.
(function () {
  "use strict";

  function areaPicker(box) {
    var input = box.querySelector("input[role=combobox]");
    var code = box.querySelector("input[type=hidden][name=area]");
    var list = box.querySelector("[role=listbox]");
    var place = box.querySelector("[data-area-place]");
    var parent = box.getAttribute("data-parent") || "";
    var timer = null, asked = "", active = -1, items = [];
    var english = document.documentElement.lang === "en";

    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }

    function choose(item) {
      input.value = item.name;
      code.value = item.code;
      if (place) place.textContent = item.level_label + " · " + item.path_name;
      close();
    }

    function mark(index) {
      var options = list.querySelectorAll("li[role=option]");
      options.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (options[index]) { input.setAttribute("aria-activedescendant", options[index].id); options[index].scrollIntoView({block: "nearest"}); }
    }

    function show(found, error) {
      items = found;
      list.innerHTML = "";
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "empty";
        none.textContent = error || (english ? "No area of that name" : "Tidak ada wilayah dengan nama itu");
        list.appendChild(none);
      }
      found.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = "area-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("data-code", item.code);
        var name = document.createElement("b");
        name.textContent = item.name;
        var where = document.createElement("span");
        where.className = "place";
        where.textContent = item.level_label + " · " + item.path_name;
        li.appendChild(name);
        li.appendChild(where);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      asked = q;
      var url = "/pickers/areas?q=" + encodeURIComponent(q) + (parent ? "&parent=" + encodeURIComponent(parent) : "");
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (body) { if (asked === q) show(body.items || [], body.error); })
        .catch(function () { show([], english ? "The indicators service cannot be reached" : "Layanan indikator tidak terjangkau"); });
    }

    input.addEventListener("input", function () {
      code.value = "";  // a name typed over the chosen one is looked up again
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0 && items[active]) { e.preventDefault(); choose(items[active]); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function selectFilter(box) {
    var select = document.getElementById(box.getAttribute("data-filters"));
    if (!select) return;
    box.hidden = false;
    var all = Array.prototype.slice.call(select.options).map(function (o) { return {value: o.value, text: o.text}; });
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var chosen = select.value;
      select.innerHTML = "";
      all.filter(function (o) {
        var text = (o.text + " " + o.value).toLowerCase();
        return words.every(function (w) { return text.indexOf(w) >= 0; });
      }).forEach(function (o) {
        var option = new Option(o.text, o.value, false, o.value === chosen);
        select.add(option);
      });
    });
  }

  document.querySelectorAll("[data-area-picker]").forEach(areaPicker);
  document.querySelectorAll("input[data-filters]").forEach(selectFilter);
})();
