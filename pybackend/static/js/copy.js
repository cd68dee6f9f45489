// A "copy" button on every code block of a page body. Progressive enhancement: without
// JavaScript (or without the Clipboard API) the code is still there to select by hand.
// The button's words come from the body's data-copy-label and data-copied-label.
(function () {
  "use strict";
  if (!navigator.clipboard || !navigator.clipboard.writeText) { return; }
  var bodies = document.querySelectorAll(".prose[data-copy-label]");
  Array.prototype.forEach.call(bodies, function (body) {
    var label = body.getAttribute("data-copy-label");
    var done = body.getAttribute("data-copied-label");
    Array.prototype.forEach.call(body.querySelectorAll("pre > code"), function (code) {
      var pre = code.parentNode;
      var wrapper = document.createElement("div");
      wrapper.className = "code-block";
      pre.parentNode.insertBefore(wrapper, pre);
      wrapper.appendChild(pre);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = label;
      var status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      wrapper.appendChild(button);
      wrapper.appendChild(status);
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(code.textContent).then(function () {
          status.textContent = done;
          window.setTimeout(function () { status.textContent = ""; }, 2000);
        });
      });
    });
  });
})();
