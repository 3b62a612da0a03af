// Progress of a job on the queue (an import's preview or commit, an export): polls its progress URL and
// reloads the page when the job is no longer in one of the data-progress-active statuses.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var active = (box.getAttribute("data-progress-active") || "uploaded running").split(" ");
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (progress) {
        bar.value = progress.percent;
        bar.textContent = progress.percent + "%";
        text.textContent = progress.processed + " / " + progress.total;
        if (active.indexOf(progress.status) !== -1) {
          window.setTimeout(poll, 500);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
})();
