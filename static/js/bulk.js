// The directory's bulk form: "All on this page" ticks every row; ticking a row chooses "The ticked
// ones". Without this script the radio buttons alone say what is meant (the server reads them).
if (!window.bulkFormReady) {
  window.bulkFormReady = true;
  document.addEventListener("change", (event) => {
    const input = event.target;
    const rows = () => document.querySelectorAll('input[form="bulk-form"][name="id"]');
    if (input.name === "scope" && input.form && input.form.id === "bulk-form") {
      if (input.value === "page") rows().forEach((box) => { box.checked = true; });
    } else if (input.getAttribute("form") === "bulk-form" && input.name === "id") {
      const selected = document.getElementById("scope-selected");
      if (selected) selected.checked = true;
    }
  });
}
