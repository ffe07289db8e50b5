// Swagger UI for xapi-rest (replaces swagger-ui-dist's petstore initializer): the OpenAPI
// document of this server, served beside the UI at /rest/v0/docs/swagger.json.
// Authorize with a token: the UI cannot send a Cookie header itself (browsers forbid it), so
// before each request the token typed in the Authorize dialog becomes the
// authenticationToken cookie of /rest/v0 (same origin), as XO's web UI sets it.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "./swagger.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      var auth = window.ui ? window.ui.authSelectors.authorized().toJS() : {};
      if (auth.token && auth.token.value) {
        document.cookie = "authenticationToken=" + encodeURIComponent(auth.token.value) +
          "; path=/rest/v0; SameSite=Strict" + (location.protocol === "https:" ? "; Secure" : "");
      }
      return request;
    },
  });
};
