// Progress of a background class-set print: polls the job's JSON status and updates the
// <progress> element and the live region; the page also works without JS (it reloads itself).
(function () {
  "use strict";
  var root = document.getElementById("pdf-job");
  if (!root) return;
  var url = root.getAttribute("data-status-url");
  var bar = document.getElementById("pdf-job-progress");
  var text = document.getElementById("pdf-job-text");
  var links = document.getElementById("pdf-job-links");
  var reload = document.getElementById("pdf-job-reload");
  if (reload) reload.hidden = true;

  function show(status) {
    bar.max = status.total || 1;
    bar.value = status.done;
    bar.textContent = status.percent + "%";
    if (status.state === "done") {
      text.textContent = "Done: " + status.total + " worksheets are ready.";
      links.hidden = false;
      return true;
    }
    if (status.state === "failed") {
      text.textContent = "The class set could not be printed: " + (status.error || "unknown error");
      return true;
    }
    text.textContent = status.state === "running"
      ? "Printing: " + status.done + " of " + status.total + " worksheets ready."
      : "Waiting to start…";
    return false;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (status) { if (!show(status)) window.setTimeout(poll, 1500); })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
