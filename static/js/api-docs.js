// Starts Swagger UI on the API documentation page (no inline script: the CSP forbids it).
document.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("swagger-ui");
  if (!element || typeof SwaggerUIBundle === "undefined") return;
  SwaggerUIBundle({
    url: element.dataset.specUrl,
    domNode: element,
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
