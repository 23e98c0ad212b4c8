// The widget's calls to Rejoinder's JSON API. Errors come back as ApiError with the field
// the server named, so the form can show each message next to its field.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export class Api {
  constructor(base, token = null) {
    this.base = base;
    // The publisher's sign-on token (a JWT), sent with every call when the reader is signed in.
    this.token = token;
  }

  async request(method, path, { body, headers = {} } = {}) {
    const init = { method, credentials: "include", headers: { Accept: "application/json", ...headers } };
    if (this.token) init.headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(`${this.base}${path}`, init);
    } catch {
      throw new ApiError(0, "network", null, null);
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.code || "http_error", error.message || null, error.field || null);
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

  edit(id, token, body, spoiler) {
    return this.request("PATCH", `/api/comments/${id}`, { body: { body, spoiler }, headers: { "X-Edit-Token": token } });
  }

  remove(id, token) {
    return this.request("DELETE", `/api/comments/${id}`, { headers: { "X-Edit-Token": token } });
  }

  vote(id, value) {
    return this.request("POST", `/api/comments/${id}/vote`, { body: { value } });
  }

  replies(id, cursor) {
    return this.request("GET", `/api/comments/${id}/replies?cursor=${encodeURIComponent(cursor)}`);
  }

  report(id, reason) {
    return this.request("POST", `/api/comments/${id}/reports`, { body: { reason } });
  }

  events(thread) {
    return new EventSource(`${this.base}/api/threads/events?thread=${encodeURIComponent(thread)}`);
  }
}
