// The demo's checks: each row makes real cross-origin fetch() calls to the API, then
// compares what this page's script could observe with what the CORS configuration
// promises. Blocked calls are observed as fetch() rejecting with a TypeError.
"use strict";

const { api: API, page: PAGE, other: OTHER } = window.DEMO;
const TIMEOUT_MS = 10000;

// One fetch() from this page; never throws.
async function call(path, init = {}) {
  try {
    const response = await fetch(API + path, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await response.text();
    let body = text;
    try { body = JSON.parse(text); } catch (notJson) { /* keep the text */ }
    return { allowed: true, status: response.status, body, headers: response.headers };
  } catch (error) {
    return { allowed: false, error: `${error.name}: ${error.message}` };
  }
}

const show = (seen) => seen.allowed
  ? `allowed: ${seen.status} ${JSON.stringify(seen.body)}`
  : `blocked: ${seen.error}`;
const blocked = (seen) => !seen.allowed && seen.error.startsWith("TypeError");

// The "other site" iframe, served from OTHER, fetches /hello and posts what it saw.
function callFromOtherSite() {
  return new Promise((resolve) => {
    const frame = document.getElementById("other-site");
    const timer = setTimeout(() => {
      window.removeEventListener("message", listen);
      resolve({ allowed: false, error: "no answer from the other site's page (timeout)" });
    }, TIMEOUT_MS);
    function listen(event) {
      if (event.origin !== OTHER || !event.data || !event.data.probe) return;
      clearTimeout(timer);
      window.removeEventListener("message", listen);
      resolve(event.data.seen);
    }
    window.addEventListener("message", listen);
    frame.src = `${OTHER}/probe.html?run=${Date.now()}`;
  });
}

const ROWS = [
  {
    id: "simple-get",
    title: "A simple GET",
    request: "GET /hello",
    why: "No custom headers, so no preflight. The API answers Access-Control-Allow-Origin "
      + "with this page's origin, and the browser hands the response to the script.",
    expected: "allowed: 200 and the JSON body",
    run: () => call("/hello"),
    check: (seen) => seen.allowed && seen.status === 200
      && seen.body.message === "Hello from the API" && seen.body.your_origin === PAGE,
  },
  {
    id: "json-post",
    title: "A JSON POST (preflighted)",
    request: "POST /echo, Content-Type: application/json",
    why: "A JSON Content-Type is not a simple one, so the browser first sends an OPTIONS "
      + "preflight; the middleware answers it before routing and the browser sends the POST.",
    expected: "allowed: 200 and the posted JSON echoed",
    run: () => call("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tea: "earl grey", cups: 2 }),
    }),
    check: (seen) => seen.allowed && seen.status === 200
      && JSON.stringify(seen.body) === JSON.stringify({ received: { tea: "earl grey", cups: 2 } }),
  },
  {
    id: "put-custom-header",
    title: "A PUT with a custom header",
    request: "PUT /items/1, X-Request-Id: demo-42",
    why: "PUT and X-Request-Id both need a preflight; allow_methods lists PUT and "
      + "allow_headers lists X-Request-Id, so the preflight allows them.",
    expected: "allowed: 200, the API saw X-Request-Id",
    run: () => call("/items/1", {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-Request-Id": "demo-42" },
      body: JSON.stringify({ name: "teapot" }),
    }),
    check: (seen) => seen.allowed && seen.status === 200
      && seen.body.request_id === "demo-42" && seen.body.saved.name === "teapot",
  },
  {
    id: "cookie",
    title: "A credentialed request with a cookie",
    request: "POST /session (sets a cookie), then GET /session, both credentials: 'include'",
    why: "The browser stores the API's cookie and sends it back, and lets the script read "
      + "the answers because the API names this exact origin with "
      + "Access-Control-Allow-Credentials: true (never with *).",
    expected: "allowed: the cookie the API set comes back",
    run: async () => {
      const login = await call("/session", { method: "POST", credentials: "include" });
      if (!login.allowed) return login;
      const echo = await call("/session", { credentials: "include" });
      return { ...echo, sent: login.body.session };
    },
    check: (seen) => seen.allowed && seen.status === 200
      && typeof seen.sent === "string" && seen.body.session === seen.sent,
    show: (seen) => seen.allowed
      ? `allowed: cookie set ${JSON.stringify(seen.sent)}, came back ${JSON.stringify(seen.body.session)}`
      : show(seen),
  },
  {
    id: "exposed-header",
    title: "Reading response headers",
    request: "GET /items; read X-Total-Count and X-Internal-Trace",
    why: "Scripts may read only the headers listed in Access-Control-Expose-Headers (and a "
      + "few safelisted ones). The API sends both headers but exposes only X-Total-Count.",
    expected: "X-Total-Count: \"1\", X-Internal-Trace: null",
    run: () => call("/items"),
    check: (seen) => seen.allowed && seen.headers.get("X-Total-Count") === "1"
      && seen.headers.get("X-Internal-Trace") === null,
    show: (seen) => seen.allowed
      ? `X-Total-Count: ${JSON.stringify(seen.headers.get("X-Total-Count"))}, `
        + `X-Internal-Trace: ${JSON.stringify(seen.headers.get("X-Internal-Trace"))}`
      : show(seen),
  },
  {
    id: "refused-method",
    title: "A method the API refuses",
    request: "PATCH /items/1",
    why: "The route serves PATCH, but allow_methods does not list it: the preflight answer "
      + "carries no Access-Control-Allow-* header, so the browser never sends the PATCH.",
    expected: "blocked: TypeError",
    run: () => call("/items/1", { method: "PATCH" }),
    check: blocked,
  },
  {
    id: "refused-origin",
    title: "A call from a site the API does not allow",
    request: "GET /hello from a hidden iframe served by another origin",
    why: "The iframe's page comes from another origin, OTHER, which is not in allow_origins: "
      + "the API's answer has no Access-Control-Allow-Origin, so the browser withholds it "
      + "from that site's script. The same call from this page works (first row).",
    expected: "blocked: TypeError",
    run: callFromOtherSite,
    check: blocked,
  },
  {
    id: "error-readable",
    title: "An error response the page can read",
    request: "GET /items/99 (there is no item 99)",
    why: "The middleware adds the CORS headers to error responses too, so the page can show "
      + "the API's status and message instead of a bare network error.",
    expected: "allowed: 404 and the API's error body",
    run: () => call("/items/99"),
    check: (seen) => seen.allowed && seen.status === 404
      && seen.body.error === "there is no item 99",
  },
];

function cell(row, className, ...children) {
  const td = row.insertCell();
  td.className = className;
  td.append(...children);
  return td;
}

function span(className, text) {
  const element = document.createElement(className === "title" ? "strong" : "span");
  if (className !== "title") element.className = className;
  element.textContent = text;
  return element;
}

async function runAll() {
  const button = document.getElementById("run");
  const summary = document.getElementById("summary");
  const tbody = document.querySelector("#results tbody");
  button.disabled = true;
  summary.dataset.done = "false";
  summary.dataset.status = "running";
  summary.textContent = "Running…";
  tbody.replaceChildren();
  let passed = 0;
  for (const check of ROWS) {
    const row = tbody.insertRow();
    row.dataset.row = check.id;
    row.dataset.status = "running";
    cell(row, "check", span("title", check.title), span("request", check.request),
      span("why", check.why.replace("OTHER", OTHER)));
    cell(row, "expected", check.expected);
    const observed = cell(row, "observed", "…");
    const result = cell(row, "result", "…");
    let seen;
    let ok = false;
    try {
      seen = await check.run();
      ok = Boolean(check.check(seen));
      observed.textContent = (check.show || show)(seen);
    } catch (error) {
      observed.textContent = `the check itself failed: ${error}`;
    }
    row.dataset.status = ok ? "pass" : "fail";
    result.textContent = ok ? "\u2714" : "\u2718";
    result.title = ok ? "as expected" : "not as expected";
    passed += ok ? 1 : 0;
  }
  const all = passed === ROWS.length;
  summary.dataset.status = all ? "pass" : "fail";
  summary.textContent = all
    ? `\u2714 All ${ROWS.length} checks behaved as promised.`
    : `\u2718 ${ROWS.length - passed} of ${ROWS.length} checks did not behave as expected.`;
  summary.dataset.done = "true";
  button.disabled = false;
}

for (const element of document.querySelectorAll("#page-origin, .page-origin")) {
  element.textContent = PAGE;
}
document.getElementById("api-origin").textContent = API;
if (location.origin !== PAGE) {
  const warning = document.getElementById("wrong-origin");
  warning.hidden = false;
  warning.textContent = `You opened this page as ${location.origin}, but the API allows only `
    + `${PAGE} (a different origin, even if it is the same server). Open ${PAGE}/ instead; `
    + "from here, the allowed calls are blocked.";
}
document.getElementById("run").addEventListener("click", runAll);
runAll();
