// The member map on the home page: bundled world shapes (world-atlas, Natural Earth 1:110m)
// coloured by how many organisations have their headquarters in each country. No tile server:
// the SVG is drawn here. A click on a country opens the directory filtered by it.
(function () {
  "use strict";

  const container = document.getElementById("member-map");
  if (!container || !window.topojson || !window.fetch) return;

  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 960;
  const MARGIN = 6; // keeps Greenland and the coasts off the frame
  const STEPS = 6; // colour classes .map-q1 … .map-q6 in app.css
  const ANTARCTICA = "010"; // left out: no members, and it takes a third of the height

  // Natural Earth projection (Šavrič et al. 2011), the same polynomial as d3-geo's geoNaturalEarth1.
  function project(lon, lat) {
    const lambda = (lon * Math.PI) / 180;
    const phi = (lat * Math.PI) / 180;
    const phi2 = phi * phi;
    const phi4 = phi2 * phi2;
    return [
      lambda * (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4))),
      phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4))),
    ];
  }

  function rings(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return geometry.coordinates;
    if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
    return [];
  }

  // Colour step of a count: logarithmic, so a few very large countries do not wash out the rest.
  function step(count, max) {
    if (!count) return 0;
    if (max <= 1) return STEPS;
    return Math.max(1, Math.min(STEPS, Math.ceil((STEPS * Math.log(1 + count)) / Math.log(1 + max))));
  }

  function label(template, name, count) {
    return template.replace("%(name)s", name).replace("%(count)s", count.toLocaleString());
  }

  function draw(shapes, data) {
    const features = window.topojson
      .feature(shapes, shapes.objects.countries)
      .features.filter((f) => f.id !== ANTARCTICA);

    // Project every ring once, then fit the bounding box to the drawing width.
    const projected = features.map((f) => rings(f.geometry).map((ring) => ring.map(([lon, lat]) => project(lon, lat))));
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    projected.flat(2).forEach(([x, y]) => {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x);
      minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    });
    const scale = (WIDTH - 2 * MARGIN) / (maxX - minX);
    const height = Math.ceil((maxY - minY) * scale) + 2 * MARGIN;
    const toX = (x) => (MARGIN + (x - minX) * scale).toFixed(1);
    const toY = (y) => (MARGIN + (maxY - y) * scale).toFixed(1);

    function pathData(featureRings) {
      return featureRings
        .map((ring) => {
          let d = "";
          let previousX = null;
          ring.forEach(([x, y]) => {
            // A jump across the map is a ring wrapping the antimeridian: lift the pen, no streak.
            const jump = previousX !== null && Math.abs(x - previousX) * scale > WIDTH / 2;
            d += (d === "" || jump ? "M" : "L") + toX(x) + "," + toY(y);
            previousX = x;
          });
          return d + "Z";
        })
        .join("");
    }

    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
    svg.setAttribute("class", "member-map-svg");
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", container.dataset.title || "");
    const countries = data.countries || {};
    const template = container.dataset.countLabel || "%(name)s: %(count)s";

    features.forEach((feature, index) => {
      const info = countries[feature.id];
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", pathData(projected[index]));
      path.setAttribute("class", `country map-q${step(info ? info.count : 0, data.max)}`);
      const title = document.createElementNS(SVG, "title");
      let node = path;
      if (info) {
        title.textContent = label(template, info.name, info.count);
        node = document.createElementNS(SVG, "a");
        node.setAttribute("href", info.url);
        node.setAttribute("data-country", info.code);
        node.appendChild(path);
      } else {
        title.textContent = feature.properties && feature.properties.name ? feature.properties.name : "";
      }
      path.appendChild(title);
      svg.appendChild(node);
    });

    container.replaceChildren(svg);
    container.classList.add("is-drawn");
    const maxLabel = document.getElementById("map-legend-max");
    if (maxLabel) maxLabel.textContent = (data.max || 0).toLocaleString();
  }

  function json(url) {
    return fetch(url, { credentials: "same-origin" }).then((response) => {
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      return response.json();
    });
  }

  Promise.all([json(container.dataset.shapesUrl), json(container.dataset.mapUrl)])
    .then(([shapes, data]) => draw(shapes, data))
    .catch(() => container.classList.add("is-failed"));
})();
