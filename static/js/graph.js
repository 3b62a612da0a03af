// Draws "who works with whom" graphs with Cytoscape from a JSON endpoint: any element with
// class "graph-box" or id "graph" and a data-src attribute. No inline script (strict CSP).
(function () {
  "use strict";

  const STYLE = [
    { selector: "node", style: {
      "label": "data(label)", "font-size": 10, "text-wrap": "ellipsis", "text-max-width": 110,
      "text-valign": "bottom", "text-margin-y": 4, "color": "#212529",
      "background-color": "#0b6e4f", "width": 22, "height": 22 } },
    { selector: "node[status = 'invited']", style: { "background-color": "#9ec9b9" } },
    { selector: "node[?company]", style: { "shape": "round-rectangle", "background-color": "#c0692b" } },
    { selector: "node[?initiative]", style: { "shape": "diamond", "background-color": "#3d5a98" } },
    { selector: "node[?center]", style: { "width": 34, "height": 34, "border-width": 3, "border-color": "#08553d" } },
    { selector: "node[role = 'lead']", style: { "width": 32, "height": 32 } },
    { selector: "edge", style: {
      "width": 2, "line-color": "#adb5bd", "curve-style": "bezier",
      "label": "data(kind_label)", "font-size": 8, "color": "#6c757d", "text-rotation": "autorotate" } },
    { selector: "edge[kind = 'participant']", style: { "line-style": "dashed", "label": "" } },
  ];

  function draw(container) {
    if (typeof window.cytoscape !== "function") return;
    fetch(container.dataset.src, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((graph) => {
        if (!graph.nodes.length) {
          container.textContent = container.dataset.empty || "";
          container.classList.add("d-flex", "align-items-center", "justify-content-center", "text-muted");
          return;
        }
        const elements = graph.nodes.map((n) => ({ data: n }))
          .concat(graph.edges.map((e) => ({ data: e })));
        const cy = window.cytoscape({
          container: container,
          elements: elements,
          style: STYLE,
          layout: { name: graph.nodes.length > 40 ? "circle" : "cose", animate: false, padding: 20 },
          maxZoom: 1.6,
          minZoom: 0.2,
        });
        // Clicking a node opens its page.
        cy.on("tap", "node", (event) => {
          const url = event.target.data("url");
          if (url) window.location.assign(url);
        });
        container.dataset.rendered = String(graph.nodes.length);
      })
      .catch(() => { container.dataset.rendered = "error"; });
  }

  document.querySelectorAll("[data-graph], #graph").forEach((el) => { if (el.dataset.src) draw(el); });
})();
