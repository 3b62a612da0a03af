// Directory: changing "sort" or "match" submits the search (htmx then swaps the results in place).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("[data-autosubmit]") && field.form) field.form.requestSubmit();
});
