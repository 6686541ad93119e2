// Keeps the list and the pending faults current: polls both as HTML every second and swaps
// each in when it changed, keeping open timelines open. Buttons POST to the control API; the
// faults panel's forms are plain HTML forms.
(function () {
  "use strict";
  var list = document.getElementById("items");
  var flash = document.getElementById("flash");
  var faults = document.getElementById("faults");
  var last = null;
  var lastFaults = null;
  function refreshFaults() {
    return fetch("/dashboard/faults", { cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || html === lastFaults) { return; }
        faults.innerHTML = html;
        lastFaults = html;
      })
      .catch(function () { flash.textContent = "The sandbox does not answer."; });
  }
  function refresh() {
    refreshFaults();
    return fetch("/dashboard/items", { cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || html === last) { return; }
        var open = {};
        list.querySelectorAll("details[open]").forEach(function (details) {
          open[details.getAttribute("data-key")] = true;
        });
        list.innerHTML = html;
        list.querySelectorAll("details").forEach(function (details) {
          if (open[details.getAttribute("data-key")]) { details.open = true; }
        });
        last = html;
      })
      .catch(function () { flash.textContent = "The sandbox does not answer."; });
  }
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-post]");
    if (!button) { return; }
    button.disabled = true;
    var path = button.getAttribute("data-post");
    flash.textContent = button.textContent + ": sending…";
    fetch(path, { method: "POST" })
      .then(function (response) {
        flash.textContent = button.textContent + ": HTTP " + response.status;
        return refresh();
      })
      .catch(function () { flash.textContent = button.textContent + ": no answer"; })
      .then(function () { button.disabled = false; });
  });
  setInterval(refresh, 1000);
})();
