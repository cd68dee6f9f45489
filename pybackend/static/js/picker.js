// The link picker of the edit form: each link row's slug field becomes a combobox (the
// ARIA 1.2 combobox pattern with a listbox popup) that suggests topics as you type, from
// GET /admin/lookup. Arrow keys move through the suggestions, Enter puts the chosen slug
// in the field, Escape closes the list; the mouse works too. Without JavaScript the field
// is a plain slug field that the server checks; with it, it still is one: the picker
// only fills in the slug.
(function () {
  "use strict";
  var table = document.querySelector("table[data-lookup-url]");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-lookup-url");
  var type = table.getAttribute("data-lookup-type") || "topic";
  var exclude = table.getAttribute("data-lookup-exclude") || "";
  var noneText = table.getAttribute("data-lookup-none") || "";
  var countText = table.getAttribute("data-lookup-count") || "{n}";

  // One polite live region for every field: how many suggestions there are.
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  table.parentNode.insertBefore(status, table.nextSibling);

  function announce(text) { status.textContent = text; }

  function setUp(input) {
    var listId = input.id + "-list";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.getAttribute("aria-label") || "");
    list.hidden = true;
    input.parentNode.insertBefore(list, input.nextSibling);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var results = [];
    var active = -1;
    var timer = null;
    var sequence = 0;
    var shownFor = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      Array.prototype.forEach.call(options, function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var chosen = results[index];
      if (!chosen) { return; }
      input.value = chosen.slug;
      shownFor = chosen.slug;
      close();
      announce("");
      // The form's unsaved-changes warning listens for this.
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function render(found, query) {
      results = found;
      shownFor = query;
      list.textContent = "";
      if (!found.length) {
        var empty = document.createElement("li");
        empty.className = "picker-empty";
        empty.setAttribute("role", "presentation");
        empty.textContent = noneText;
        list.appendChild(empty);
        announce(noneText);
      } else {
        found.forEach(function (result, i) {
          var option = document.createElement("li");
          option.id = input.id + "-option-" + i;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.appendChild(document.createTextNode(result.title + " "));
          var slug = document.createElement("code");
          slug.textContent = result.slug;
          option.appendChild(slug);
          // mousedown, not click: the field keeps the focus (and the list stays open).
          option.addEventListener("mousedown", function (event) {
            event.preventDefault();
            choose(i);
          });
          list.appendChild(option);
        });
        announce(countText.replace("{n}", String(found.length)));
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function search() {
      var query = input.value.trim();
      if (!query) { close(); results = []; shownFor = null; return; }
      var mine = ++sequence;
      var params = new URLSearchParams({ type: type, q: query });
      if (exclude) { params.set("exclude", exclude); }
      fetch(url + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        if (mine === sequence && document.activeElement === input) {
          render(data.results || [], query);
        }
      }).catch(function () {
        if (mine === sequence) { close(); }
      });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 150);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          if (results.length && shownFor === input.value.trim()) {
            render(results, shownFor);
          } else {
            search();
            return;
          }
        }
        if (!results.length) { return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next >= results.length) { next = 0; }
        if (next < 0) { next = results.length - 1; }
        highlight(next);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();  // choosing a suggestion does not submit the form
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
          announce("");
        }
      }
    });

    input.addEventListener("blur", function () { close(); });
  }

  Array.prototype.forEach.call(table.querySelectorAll("input[data-picker]"), setUp);
}());
