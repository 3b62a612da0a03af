// Progress chart of an initiative's outcomes against its target (Chart.js), and the report's
// print button. Data come from the canvas's data-src JSON endpoint. No inline script (strict CSP).
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });

  const canvas = document.getElementById("progress-chart");
  if (!canvas || typeof window.Chart !== "function") return;

  fetch(canvas.dataset.src, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((series) => {
      const labels = canvas.dataset;
      const datasets = [
        { type: "bar", label: labels.labelVerified, data: series.verified, backgroundColor: "#0b6e4f", stack: "period" },
        { type: "bar", label: labels.labelEstimated, data: series.estimated, backgroundColor: "#9ec9b9", stack: "period" },
        { type: "line", label: labels.labelCumulative, data: series.cumulative, borderColor: "#3d5a98",
          backgroundColor: "#3d5a98", tension: 0.2 },
      ];
      if (series.target !== null) {
        datasets.push({ type: "line", label: labels.labelTarget, data: series.labels.map(() => series.target),
          borderColor: "#c0692b", borderDash: [6, 4], pointRadius: 0 });
      }
      new window.Chart(canvas, {
        data: { labels: series.labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { stacked: true }, y: { beginAtZero: true, title: { display: true, text: "tCO2e" } } },
        },
      });
      canvas.dataset.rendered = String(series.labels.length);
    })
    .catch(() => { canvas.dataset.rendered = "error"; });
})();
