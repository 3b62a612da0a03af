// Long multi-selects (countries, themes): a filter box above and the chosen options listed below.
// Progressive enhancement only: without JavaScript the plain <select multiple> works as before.
document.querySelectorAll("select[multiple][data-filter]").forEach((select) => {
  const filter = document.createElement("input");
  filter.type = "search";
  filter.className = "form-control form-control-sm mb-1";
  filter.placeholder = select.dataset.filter;
  filter.setAttribute("aria-label", select.dataset.filter);
  select.before(filter);

  const chosen = document.createElement("div");
  chosen.className = "form-text multiselect-chosen";
  chosen.setAttribute("aria-live", "polite");
  select.after(chosen);

  const showChosen = () => {
    const names = Array.from(select.selectedOptions, (o) => o.textContent);
    chosen.textContent = names.length ? names.join(", ") : "—";
  };
  filter.addEventListener("input", () => {
    const words = filter.value.trim().toLowerCase();
    for (const option of select.options) {
      option.hidden = words !== "" && !option.textContent.toLowerCase().includes(words) && !option.value.toLowerCase().startsWith(words);
    }
  });
  // A plain click toggles one option, so choosing several needs no Ctrl key.
  select.addEventListener("mousedown", (event) => {
    const option = event.target;
    if (option.tagName !== "OPTION") return;
    event.preventDefault();
    option.selected = !option.selected;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    select.focus();
  });
  select.addEventListener("change", showChosen);
  showChosen();
});
