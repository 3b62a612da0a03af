// Starts Swagger UI on the API documentation page (no inline script: the CSP forbids it).
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("swagger-ui");
  if (!element || typeof SwaggerUIBundle === "undefined") return;
  SwaggerUIBundle({
    url: element.dataset.specUrl,
    domNode: element,
    // Without deep links: a link inside each operation's button is a control in a control (axe
    // nested-interactive), and a 18 px target on a phone.
    deepLinking: false,
    tryItOutEnabled: false,
    persistAuthorization: false,
    onComplete: function () {
      // Swagger UI wraps the server list in an empty <label>: give it a name.
      var servers = document.getElementById("servers");
      if (servers) servers.setAttribute("aria-label", element.dataset.serversLabel);
    },
  });
});
