// Autosave of the edit form: while the editor types, the form is sent to the server as
// this editor's private autosave (never a revision, never shown to readers). When the
// form opens again after a closed tab, a crash or an expired session, the server offers
// the text back. Saving the form is unchanged and still goes through the version check.
// Without JavaScript there is no autosave; the form works as before.
(function () {
  "use strict";
  var form = document.getElementById("item-form");
  if (!form || !window.fetch || !window.JSON) { return; }
  var url = form.getAttribute("data-autosave-url");
  var token = form.querySelector("input[name=csrf_token]");
  var status = document.getElementById("autosave-status");
  if (!url || !token) { return; }

  // 2 s after the editor stops typing, and at least every 10 s while they keep typing:
  // a crash loses at most about 10 s of work, and a busy editor costs one small write
  // every few seconds.
  var IDLE_MS = 2000;
  var MAX_WAIT_MS = 10000;
  var SKIP = { csrf_token: true, version: true, action: true };

  var idleTimer = null;
  var firstChange = 0;
  var inFlight = false;
  var again = false;
  var stopped = false;
  var lastSent = null;

  function fields() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.disabled || /^take-/.test(el.name)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { out[el.name] = el.value; }
        return;
      }
      if (el.type === "submit" || el.type === "button") { return; }
      out[el.name] = el.value;
    });
    return out;
  }

  function show(message, state) {
    if (!status || !message) { return; }
    status.textContent = message;
    status.setAttribute("data-state", state);
  }

  function payload() {
    var id = form.getAttribute("data-item-id");
    var version = form.querySelector("input[name=version]");
    return JSON.stringify({
      item_type: form.getAttribute("data-item-type"),
      item_id: id ? parseInt(id, 10) : null,
      version: version ? version.value : "",
      fields: fields()
    });
  }

  function send(keepalive) {
    if (stopped) { return; }
    window.clearTimeout(idleTimer);
    idleTimer = null;
    firstChange = 0;
    var body = payload();
    if (body === lastSent) { return; }
    if (inFlight) { again = true; return; }
    inFlight = true;
    var options = {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": token.value,
        "Accept": "application/json"
      }
    };
    // keepalive lets the last save finish as the tab closes (browsers cap it at 64 KiB).
    if (keepalive && body.length < 60000) { options.keepalive = true; }
    fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") !== 0) {
        throw new Error(String(response.status));
      }
      return response.json();
    }).then(function (data) {
      lastSent = body;
      if (data.newer) {
        show(form.getAttribute("data-autosave-newer"), "newer");
      } else {
        show((form.getAttribute("data-autosave-saved") || "").replace("{time}", data.saved_at), "saved");
      }
    }).catch(function () {
      show(form.getAttribute("data-autosave-failed"), "failed");
    }).then(function () {
      inFlight = false;
      if (again) { again = false; schedule(); }
    });
  }

  function schedule() {
    if (stopped) { return; }
    var now = Date.now();
    if (!firstChange) { firstChange = now; }
    window.clearTimeout(idleTimer);
    var wait = Math.min(IDLE_MS, Math.max(0, firstChange + MAX_WAIT_MS - now));
    idleTimer = window.setTimeout(function () { send(false); }, wait);
  }

  lastSent = payload();  // what the page opened with is not worth saving
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // The form is being saved for real: an autosave arriving after it would be stale.
  form.addEventListener("submit", function () {
    stopped = true;
    window.clearTimeout(idleTimer);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && idleTimer !== null) { send(true); }
  });
  window.addEventListener("pagehide", function () {
    if (idleTimer !== null) { send(true); }
  });
}());
