// This server's own pages, where its URLconf puts them: templates/base.html writes each one's
// {% url %} into a data- attribute of <body> (data-app-url, data-pair-url, data-environments-url),
// so no module spells an address of this server. The API's paths are in api.js (PATHS).

// Return the address of this server's page `name` ("app", "pair", "environments").
export function pageUrl(name) {
  const url = document.body.dataset[`${name}Url`];
  if (url === undefined) throw new Error(`templates/base.html gives no data-${name}-url`);
  return url;
}
