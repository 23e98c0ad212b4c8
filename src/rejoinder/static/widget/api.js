// The widget's calls to Rejoinder's JSON API. Errors come back as ApiError with the field
// the server named, so the form can show each message next to its field.

export class ApiError extends Error {
  constructor(status, code, message, field, reasons = []) {
    super(message ?? ""); // Error(null) would say "null"; empty lets the widget use its own words
    this.status = status;
    this.code = code;
    this.field = field;
    this.reasons = reasons; // a nudge's: why the text would be held (docs/embedding.md)
  }
}

// A fresh Idempotency-Key.
export function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// No storage: a widget built without one keeps no reader token (and so sends none).
const NO_STORE = { get: () => null, set: () => {} };

export class Api {
  constructor(base, token = null, reader = NO_STORE) {
    this.base = base;
    // The publisher's sign-on token (a JWT), sent with every call when the reader is signed in.
    this.token = token;
    // The reader token the server hands out (X-Rejoinder-Reader): a browser on another site
    // never sends Rejoinder's cookies, so this is how a guest stays one reader. `reader` keeps
    // it ({ get, set }), in the publisher's storage, where the widget lives.
    this.reader = reader;
    this.minting = null;
    // On a site that may not write here the server answers public reads only (web/cors.py):
    // then GETs go without credentials or the reader's headers, and nothing else is sent.
    this.readOnly = false;
  }

  // Known to the server (signed in, or holding a reader token): pages then carry this reader's
  // own votes and comments, so they must not come from a copy cached before.
  get identified() {
    return !this.readOnly && Boolean(this.token || this.reader.get());
  }

  async request(method, path, options = {}) {
    // A reader's first write brings back the token every later call must carry; a second write
    // sent before it returns would be minted another token, and the reader would count twice.
    const first = method !== "GET" && !this.reader.get();
    if (first && this.minting) await this.minting.catch(() => {});
    const sent = this.send(method, path, options);
    if (first && !this.reader.get()) this.minting = sent;
    return sent;
  }

  async send(method, path, { body, headers = {} } = {}) {
    const init = { method, credentials: "include", headers: { Accept: "application/json", ...headers } };
    const reader = this.reader.get();
    if (this.token) init.headers.Authorization = `Bearer ${this.token}`;
    if (reader) init.headers["X-Rejoinder-Reader"] = reader;
    if (method === "GET" && (this.token || reader)) init.cache = "no-cache"; // see `identified`
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const url = `${this.base}${path}`;
    const anonymous = { method, credentials: "omit", headers: { Accept: "application/json" } };
    // Whether this request goes without credentials, decided now: another request may find
    // the site read-only while this one is on its way, and its refusal must be retried too.
    const bare = this.readOnly && method === "GET";
    let response;
    try {
      response = await fetch(url, bare ? anonymous : init);
    } catch {
      // Refused with credentials but answered without: this site may read, not write.
      if (method !== "GET" || bare) throw new ApiError(0, "network", null, null);
      response = await fetch(url, anonymous).catch(() => null);
      if (!response) throw new ApiError(0, "network", null, null);
      this.readOnly = true;
    }
    const minted = response.headers.get("X-Rejoinder-Reader");
    if (minted && minted !== reader) this.reader.set(minted);
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = data?.error || {};
      const { code = "http_error", message = null, field = null, reasons = [] } = error;
      throw new ApiError(response.status, code, message, field, reasons);
    }
    return data;
  }

  count(thread) {
    return this.request("GET", `/api/counts?thread=${encodeURIComponent(thread)}`).then(
      (data) => data.counts[thread] ?? 0,
    );
  }

  page(thread, sort, cursor) {
    const query = new URLSearchParams({ thread, sort, limit: "20" });
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/api/comments?${query}`);
  }

  post(comment, idempotencyKey) {
    return this.request("POST", "/api/comments", { body: comment, headers: { "Idempotency-Key": idempotencyKey } });
  }

  // Reader's votes in the thread and the comments they may still change, by their identity.
  mine(thread) {
    return this.request("GET", `/api/me/thread?thread=${encodeURIComponent(thread)}`);
  }

  // Without an edit token (another browser, storage cleared) the reader's identity proves authorship.
  edit(id, token, body, spoiler, acknowledged = false) {
    return this.request("PATCH", `/api/comments/${id}`, {
      body: acknowledged ? { body, spoiler, nudge_acknowledged: true } : { body, spoiler },
      headers: token ? { "X-Edit-Token": token } : {},
    });
  }

  remove(id, token) {
    return this.request("DELETE", `/api/comments/${id}`, { headers: token ? { "X-Edit-Token": token } : {} });
  }

  preview(body) {
    return this.send("POST", "/api/preview", { body: { body } });
  }

  vote(id, value) {
    return this.request("POST", `/api/comments/${id}/vote`, { body: { value } });
  }

  replies(id, cursor) {
    return this.request("GET", `/api/comments/${id}/replies?cursor=${encodeURIComponent(cursor)}`);
  }

  // Everything stored about this reader (GET /api/me/data), and erasing what they wrote.
  myData() {
    return this.request("GET", "/api/me/data");
  }

  eraseMe() {
    return this.request("DELETE", "/api/me");
  }

  report(id, reason) {
    return this.request("POST", `/api/comments/${id}/reports`, { body: { reason } });
  }

  events(thread) {
    return new EventSource(`${this.base}/api/threads/events?thread=${encodeURIComponent(thread)}`);
  }
}
