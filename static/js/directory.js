// Directory: changing "sort" or "match" submits the search (htmx then swaps the results in place).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("[data-autosubmit]") && field.form) field.form.requestSubmit();
});

// After a facet, chip or page link swaps the results in, focus the result count (read out by screen
// readers) and bring it into view when it is off screen, instead of leaving the view on an emptied
// filter column. Typing in the search box keeps its focus.
document.addEventListener("htmx:afterSwap", (event) => {
  const count = event.target.querySelector && event.target.querySelector("#result-count");
  const trigger = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
  if (!count || (trigger && trigger.matches && trigger.matches("form, input, select"))) return;
  count.focus({ preventScroll: true });
  const box = count.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) count.scrollIntoView({ block: "start" });
});
