// Small progressive enhancements; the pages work without JavaScript.
document.documentElement.classList.add("js"); // CSS: the phone filter panel and menu need this script

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// The user menu (a <details>): closed by Escape, returning focus to its button, or by a click elsewhere.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.user-menu[open], .js details.filters-panel[open]").forEach((details) => {
    if (details.classList.contains("filters-panel") && !phone.matches) return;
    details.open = false;
    details.querySelector("summary").focus();
  });
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.user-menu[open]").forEach((details) => {
    if (!details.contains(event.target)) details.open = false;
  });
});

// Search filters: open beside the results on a wide screen; on a phone a panel behind the
// "Filters" button (closed again when htmx brings new results).
const phone = window.matchMedia("(max-width: 767.98px)");
function placeFilters() {
  document.querySelectorAll("details.filters-panel").forEach((details) => {
    details.open = !phone.matches;
  });
}
phone.addEventListener("change", placeFilters);
document.addEventListener("htmx:load", (event) => {
  if (event.target.querySelector && event.target.querySelector("details.filters-panel")) placeFilters();
});
placeFilters();
