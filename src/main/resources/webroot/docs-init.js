// Swagger UI over the served contract. The OAuth2 password flow posts to /api/v2/token.
window.ui = SwaggerUIBundle({
  url: '/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true
});
