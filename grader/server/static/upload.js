// Upload with a progress bar, and drag and drop onto the form. Without this script the form
// posts as usual; with it, the same POST goes through XMLHttpRequest (whose upload events give
// the progress), and the browser then opens the result page the server redirected to.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = document.getElementById("file");
  var drop = document.getElementById("drop");
  var bar = document.getElementById("progress");
  var status = document.getElementById("upload-status");
  var hints = form.querySelectorAll(".js-only");
  for (var i = 0; i < hints.length; i++) { hints[i].hidden = false; }

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  function send() {
    if (!input.files || input.files.length !== 1) { say("Choose one file first.", true); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { bar.value = Math.round(100 * event.loaded / event.total); }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL.indexOf("/submissions/") > 0) {
        say("Uploaded; opening your result…", false);
        window.location.assign(xhr.responseURL);
        return;
      }
      // the server's error page: show its message (as text) next to the form
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var message = page.querySelector("main .error");
      bar.hidden = true;
      say(message ? message.textContent : "The upload failed (" + xhr.status + ").", true);
    });
    xhr.addEventListener("error", function () {
      bar.hidden = true;
      say("The upload failed: the server could not be reached. Try again.", true);
    });
    bar.value = 0;
    bar.hidden = false;
    say("Uploading " + input.files[0].name + "…", false);
    xhr.send(new FormData(form));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send();
  });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length === 1) {
      input.files = event.dataTransfer.files;
      send();
    } else {
      say("Drop one file.", true);
    }
  });
})();
