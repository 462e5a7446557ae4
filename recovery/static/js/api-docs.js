// The browsable API docs: Swagger UI over the generated OpenAPI document.
// A file, not an inline script, so the page keeps the app's strict CSP.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    // Same-origin calls reuse the browser session; writes need the CSRF header.
    requestInterceptor: function (request) {
      request.headers["X-CSRFToken"] = root.dataset.csrf;
      return request;
    }
  });
})();
