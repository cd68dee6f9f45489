// The edit form, a little better with JavaScript: a live Markdown preview rendered by the
// server's own pipeline, and a warning before leaving with unsaved changes. Without
// JavaScript the "Preview" button does the same through a normal form post.
(function () {
  "use strict";
  var form = document.getElementById("item-form");
  if (!form) { return; }

  // Focus on a refused save's notice: admin.js, loaded on every page of the area.

  var dirty = false;
  var submitting = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = form.getAttribute("data-dirty-warning") || "";
      return event.returnValue;
    }
  });

  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]");
  var previews = document.querySelectorAll("[data-preview-for]");
  Array.prototype.forEach.call(previews, function (panel) {
    var source = document.getElementById(panel.getAttribute("data-preview-for"));
    var target = panel.querySelector(".prose");
    if (!source || !target || !url || !token) { return; }
    var timer = null;
    var sequence = 0;
    function refresh() {
      var mine = ++sequence;
      var body = new URLSearchParams();
      body.set("body", source.value);
      body.set("lang", panel.getAttribute("data-lang") || "id");
      body.set("csrf_token", token.value);
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": token.value, "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        // The server sanitised this HTML with the same pipeline as the public pages.
        if (mine === sequence) { target.innerHTML = data.html; }
      }).catch(function () {
        panel.setAttribute("data-preview-error", "true");
      });
    }
    source.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 300);
    });
    if (!target.innerHTML.trim()) { refresh(); }
  });
}());
