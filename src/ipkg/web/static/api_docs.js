// /api/docs: Swagger UI (vendored in static/vendor/swagger-ui) over /api/openapi.json, with
// "Try it out" calling this service. No inline code: the page runs under the strict CSP.
"use strict";

window.addEventListener("DOMContentLoaded", function () {
  const target = document.getElementById("swagger-ui");
  if (!target || !window.SwaggerUIBundle) return;
  window.ui = window.SwaggerUIBundle({
    url: target.dataset.spec,
    domNode: target,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: true,
    validatorUrl: null,  // the default would send the document to swagger.io
  });
});
