// A queued result page follows its submission: it asks the API for the status every second
// and reloads when the status changes (without script, a <noscript> refresh does the same).
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.fetch) { return; }
  var id = box.getAttribute("data-submission");
  var first = box.getAttribute("data-status");
  var delay = 1000;
  function poll() {
    fetch("/api/submissions/" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.status && body.status !== first && body.status !== "grading") {
          window.location.reload();
          return;
        }
        delay = Math.min(5000, delay + 250);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, delay);
})();
