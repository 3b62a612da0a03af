// An event's time in the reader's own time zone, beside the event's (the page gives UTC moments).
(function () {
  document.querySelectorAll(".local-time[data-start]").forEach(function (el) {
    var start = new Date(el.dataset.start), end = new Date(el.dataset.end);
    if (isNaN(start)) return;
    var lang = document.documentElement.lang || undefined;
    var day = { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
    var text = start.toLocaleString(lang, day) + " – " + end.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    el.textContent = el.dataset.label + " " + text;
    el.hidden = false;
  });
})();

// The registrations list's Print button (no inline handlers: the Content-Security-Policy forbids them).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
