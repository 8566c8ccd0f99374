// Runs on "another site": the same call as the demo page's first row, from an origin
// the API does not allow. It tells the demo page (its parent) what it observed.
"use strict";

(async () => {
  let seen;
  try {
    const response = await fetch(`${window.DEMO.api}/hello`, { signal: AbortSignal.timeout(10000) });
    seen = { allowed: true, status: response.status, body: await response.text() };
  } catch (error) {
    seen = { allowed: false, error: `${error.name}: ${error.message}` };
  }
  // The demo page checks where the message comes from; it holds nothing secret.
  window.parent.postMessage({ probe: true, origin: location.origin, seen }, "*");
})();
