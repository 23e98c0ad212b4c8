// <rejoinder-comments thread="KEY" base="https://HOST" thread-title thread-url lang>: the discussion under an article.
// State lives here; render.js builds the DOM, api.js talks to the server, i18n.js and time.js
// hold words and dates. Comments are fetched only when the reader asks to see them.

import { Api, randomKey } from "./api.js";
import { loadTranslator, pickLanguage } from "./i18n.js";
import { commentItem, composeForm, counter, h, refreshTimes } from "./render.js";

const SORTS = ["best", "oldest", "newest"];
const TICK_MS = 30_000;
// Follow a #comment-ID link through at most this many pages before giving up.
const MAX_PAGES_FOR_LINK = 10;

const saved = {
  get(key, fallback = null) {
    try {
      const value = localStorage.getItem(`rejoinder:${key}`);
      return value === null ? fallback : JSON.parse(value);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(`rejoinder:${key}`, JSON.stringify(value));
    } catch {
      // Storage can be full or off (private windows); remembering is a convenience only.
    }
  },
};

// The reader token (see api.js), kept as "rejoinder:reader" in the publisher's storage.
const readerToken = { get: () => saved.get("reader"), set: (token) => saved.set("reader", token) };

// Only to greet a signed-in reader by name; the server checks the token's signature.
function nameInToken(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(escape(atob(part)));
    return JSON.parse(json).name || null;
  } catch {
    return null;
  }
}

class RejoinderComments extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot || this.starting) return;
    this.starting = true;
    this.lang = pickLanguage(this.getAttribute("lang"));
    // The reader's words first (English is built in; others are a module each), then the rest.
    loadTranslator(this.lang).then((t) => {
      this.t = t;
      this.starting = false;
      if (this.isConnected && !this.shadowRoot) this.start();
    });
  }

  start() {
    this.base = this.getAttribute("base") || location.origin;
    this.thread = this.getAttribute("thread");
    this.token = this.getAttribute("sso-token");
    this.user = this.token ? nameInToken(this.token) : null;
    this.api = new Api(this.base, this.token, readerToken);
    this.sort = SORTS.includes(saved.get("sort")) ? saved.get("sort") : "best";
    this.count = 0;
    this.shown = false;
    this.closed = false;
    this.cursor = null;
    this.pending = [];
    this.deletedSeen = new Set();
    // The reader's comments whose last edit waits for a moderator (or was refused): readers
    // stop seeing them, but their author keeps the notice and the text.
    this.held = new Set();
    this.loads = 0;
    this.visibleReplies = 3;
    // Comments posted from this browser, with their edit tokens; and its votes.
    this.own = saved.get("own", {});
    this.votes = saved.get("votes", {});
    // What the server knows of this reader in this thread (GET /api/me/thread), when it knows
    // the reader: the truth for "my vote" and "mine", whichever browser they came from.
    this.mine = null;
    this.voting = Promise.resolve();
    this.build();
    if (this.firstPage) this.setCount(this.firstPage.thread.comment_count);
    else {
      this.api.count(this.thread).then(
        (n) => this.setCount(n),
        () => {},
      );
    }
    if (this.hasAttribute("open")) this.showComments();
    this.listen();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.onHash = () => this.followLink();
    window.addEventListener("hashchange", this.onHash);
    this.followLink();
  }

  disconnectedCallback() {
    clearInterval(this.timer);
    window.removeEventListener("hashchange", this.onHash);
    if (this.events) this.events.close();
  }

  build() {
    const t = this.t;
    const root = this.attachShadow({ mode: "open" });
    this.heading = h("h2", { id: "heading", text: t("comments", { n: this.count }) });
    this.toggle = h("button", {
      type: "button",
      class: "show",
      "aria-expanded": "false",
      "aria-controls": "panel",
      text: t("show"),
      onclick: () => (this.shown ? this.hideComments() : this.showComments()),
    });
    this.sortButtons = SORTS.map((sort) =>
      h("button", {
        type: "button",
        "data-sort": sort,
        "aria-pressed": String(sort === this.sort),
        text: t(sort),
        onclick: () => this.changeSort(sort),
      }),
    );
    this.liveSlot = h("div", { class: "live", "aria-live": "polite" });
    this.message = h("p", { class: "thread-message", hidden: true });
    this.picks = h("ol", { class: "comments picks", "aria-label": t("picks") });
    this.list = h("ol", { class: "comments" });
    this.status = h("p", { class: "status", role: "status" });
    this.more = h("button", {
      type: "button",
      class: "load-more",
      hidden: true,
      text: t("loadMore"),
      onclick: () => this.load(),
    });
    this.formSlot = h("div", { class: "form-slot" });
    this.dataSlot = h("div", { class: "my-data" });
    this.dataNote = h("p", { class: "notice", role: "status" });
    this.panel = h(
      "div",
      { id: "panel", hidden: true },
      h("div", { class: "sorts", role: "group", "aria-label": t("sortLabel") }, this.sortButtons),
      this.message,
      this.formSlot,
      this.liveSlot,
      this.picks,
      this.list,
      this.status,
      this.more,
      this.dataSlot,
      this.dataNote,
    );
    // "rejoinder-ready" once the stylesheet is in (or has failed): whoever shows the widget
    // in place of the server's static copy waits for it, so the reader never sees it bare.
    const ready = () => this.dispatchEvent(new Event("rejoinder-ready"));
    root.append(
      h("link", {
        rel: "stylesheet",
        href: `${this.base}/static/widget/widget.css`,
        onload: ready,
        onerror: ready,
      }),
      h(
        "section",
        { class: "rejoinder", lang: this.lang, "aria-labelledby": "heading" },
        h("div", { class: "bar" }, this.heading, this.toggle),
        this.panel,
      ),
    );
  }

  setCount(n) {
    this.count = Math.max(0, n);
    this.heading.textContent = this.t("comments", { n: this.count });
  }

  async showComments() {
    this.shown = true;
    this.panel.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    this.toggle.textContent = this.t("hide");
    // The first load, kept: whoever needs the first page (a #comment link) waits for it.
    if (!this.loaded) this.loaded = this.load(true);
    await this.loaded;
  }

  hideComments() {
    this.shown = false;
    this.panel.hidden = true;
    this.toggle.setAttribute("aria-expanded", "false");
    this.toggle.textContent = this.t("show");
  }

  changeSort(sort) {
    if (sort === this.sort) return;
    this.sort = sort;
    saved.set("sort", sort);
    for (const button of this.sortButtons) button.setAttribute("aria-pressed", String(button.dataset.sort === sort));
    this.load(true);
  }

  async load(reset = false) {
    const load = ++this.loads;
    if (reset) this.cursor = null;
    this.status.textContent = this.t("loading");
    this.more.hidden = true;
    try {
      // The server's own first page, when it put one beside the placeholder: read once.
      const given = reset && this.sort === "best" ? this.firstPage : null;
      this.firstPage = null;
      const [page, mine] = await Promise.all([
        given || this.api.page(this.thread, this.sort, this.cursor),
        reset && this.api.identified ? this.api.mine(this.thread).catch(() => null) : null,
      ]);
      if (load !== this.loads) return;
      if (mine) this.setMine(mine);
      if (reset) {
        this.list.replaceChildren();
        this.picks.replaceChildren();
        this.pending = [];
        this.liveSlot.replaceChildren();
      }
      this.closed = page.thread.closed;
      this.mail = page.mail === true; // the server mails replies: offer "E-mail me replies"
      this.message.textContent = page.thread.message || "";
      this.message.hidden = !page.thread.message;
      for (const comment of page.featured || []) {
        if (!this.find(comment.id)) this.picks.append(commentItem(comment, this));
      }
      this.setCount(page.thread.comment_count);
      for (const comment of page.comments) {
        if (!this.find(comment.id)) this.list.append(commentItem(comment, this));
      }
      this.cursor = page.next_cursor;
      this.more.hidden = !this.cursor;
      this.status.textContent = this.list.children.length || this.picks.children.length ? "" : this.t("empty");
      const refused = this.closed ? "closed" : this.api.readOnly ? "readOnly" : null;
      this.formSlot.replaceChildren(refused ? h("p", { class: "closed", text: this.t(refused) }) : composeForm(this));
      this.showMyData();
    } catch (error) {
      if (load === this.loads) this.status.textContent = this.t.refusal(error);
    }
  }

  setMine(data) {
    const own = {};
    for (const { id, editable_until: until } of data.own || []) own[id] = until;
    this.mine = { votes: { ...(data.votes || {}) }, own };
  }

  find(id) {
    return this.shadowRoot.getElementById(`comment-${id}`);
  }

  insert(comment) {
    if (this.find(comment.id)) return null;
    const parent = comment.parent_id ? this.find(comment.parent_id) : null;
    if (comment.parent_id && !parent) return null;
    const depth = parent ? this.depthOf(parent) + 1 : 0;
    const item = commentItem(comment, this, depth);
    if (parent) parent.querySelector(":scope > ol.replies").append(item);
    else if (this.sort === "oldest" && !this.cursor) this.list.append(item);
    else this.list.prepend(item);
    this.status.textContent = "";
    return item;
  }

  depthOf(item) {
    let depth = 0;
    for (let node = item.parentElement; node && node !== this.list && node !== this.picks; node = node.parentElement) {
      if (node.matches("ol.replies")) depth += 1;
    }
    return depth;
  }

  // Posting, editing, deleting and voting; render.js calls these.

  rememberedName() {
    return saved.get("name", "");
  }

  // `key` names this draft: a form sends the same key again when the reader retries after an
  // error (a 503, a lost connection), so a comment the server did store is not stored twice.
  async post(fields, key = randomKey()) {
    const created = await this.api.post(
      {
        thread: this.thread,
        thread_title: this.getAttribute("thread-title") || document.title || null,
        thread_url: this.getAttribute("thread-url") || location.href.split("#")[0],
        ...fields,
      },
      key,
    );
    if (fields.author_name) saved.set("name", fields.author_name.trim());
    if (created.status !== "visible") return created;
    this.own[created.comment.id] = { token: created.edit_token, until: created.editable_until, body: fields.body };
    saved.set("own", this.own);
    this.showMyData();
    const item = this.insert(created.comment);
    // The live event for this comment may have come before this response: then it is
    // waiting in `pending` and the count already includes it.
    const early = this.pending.findIndex((comment) => comment.id === created.comment.id);
    if (early >= 0) {
      this.pending.splice(early, 1);
      this.showPending();
    } else {
      this.setCount(this.count + 1);
    }
    if (item) this.flash(item);
    return created;
  }

  // The replies that did not fit on the page, oldest first; returns the cursor for the next.
  async moreReplies(comment, cursor) {
    try {
      const page = await this.api.replies(comment.id, cursor);
      for (const reply of page.replies) {
        const item = this.insert({ ...reply, replies: [] });
        if (item) item.hidden = false;
      }
      return page.next_cursor;
    } catch (error) {
      this.status.textContent = this.t.refusal(error);
      return cursor;
    }
  }

  // Written by this reader: posted from this browser, or known to the server as theirs.
  isMine(id) {
    return Boolean(this.own[id] || (this.mine && id in this.mine.own));
  }

  canEdit(id) {
    const until = [this.own[id]?.until, this.mine?.own[id]];
    return until.some((when) => when && Date.parse(when) > Date.now());
  }

  myVote(id) {
    return (this.mine ? this.mine.votes[id] : this.votes[id]) || 0;
  }

  // One vote at a time, each from the state the last one left: quick clicks arrive in order.
  vote(comment, value) {
    this.voting = this.voting.then(() => this.castVote(comment, value));
    return this.voting;
  }

  async castVote(comment, value) {
    const next = this.myVote(comment.id) === value ? 0 : value;
    try {
      const votes = await this.api.vote(comment.id, next);
      for (const known of this.mine ? [this.votes, this.mine.votes] : [this.votes]) {
        if (next) known[comment.id] = next;
        else delete known[comment.id];
      }
      saved.set("votes", this.votes);
      comment.votes = votes;
      const footer = this.find(comment.id).querySelector(":scope > article .actions");
      for (const kind of ["up", "down"]) {
        const button = footer.querySelector(`.vote.${kind}`);
        button.setAttribute("aria-pressed", String(next === (kind === "up" ? 1 : -1)));
        button.querySelector(".count").textContent = votes[kind];
      }
    } catch (error) {
      this.status.textContent = this.t.refusal(error);
    }
  }

  openReply(comment, button) {
    const slot = this.find(comment.id).querySelector(":scope > article .reply-slot");
    if (slot.firstChild) {
      slot.replaceChildren();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const form = composeForm(this, {
      parent: comment,
      onDone: () => {
        slot.replaceChildren();
        button.setAttribute("aria-expanded", "false");
        button.focus();
      },
    });
    slot.append(form);
    button.setAttribute("aria-expanded", "true");
    // A signed-in reader's form has no name field: start at the text, as when the name is known.
    const name = form.querySelector("[name=author_name]");
    (name && !name.value ? name : form.querySelector("textarea")).focus();
  }

  openEdit(comment, item) {
    const body = item.querySelector(":scope > article .body");
    if (body.querySelector("form")) return;
    // Without the text this browser posted (the comment is the reader's by identity), start
    // from the words on show.
    const mine = this.own[comment.id];
    const text = h("textarea", { rows: "4", "aria-label": this.t("body") });
    // biome-ignore lint/performance/useDomNodeTextContent: innerText keeps the blank line between paragraphs
    text.value = mine?.body || body.querySelector(".text").innerText.trim();
    const spoiler = h("input", { type: "checkbox", id: `e${comment.id}-spoiler`, checked: comment.spoiler });
    const error = h("p", { class: "error", role: "alert" });
    const original = [...body.childNodes];
    const form = h(
      "form",
      { class: "edit-form" },
      text,
      counter(text, this.t),
      error,
      h(
        "div",
        { class: "form-actions" },
        h("label", { class: "check", for: spoiler.id }, spoiler, ` ${this.t("markSpoiler")}`),
        h("button", {
          type: "button",
          class: "link",
          text: this.t("cancel"),
          onclick: () => body.replaceChildren(...original),
        }),
        h("button", { type: "submit", class: "primary", text: this.t("save") }),
      ),
    );
    // As in the compose form: a nudge is shown once; "Save as it is" sends the same words.
    let acknowledged = null;
    const saveAnyway = h("button", { type: "button", class: "link", text: this.t("saveAnyway") });
    saveAnyway.addEventListener("click", () => {
      acknowledged = text.value;
      form.requestSubmit();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const sure = acknowledged !== null && acknowledged === text.value;
        const edited = await this.api.edit(comment.id, mine?.token, text.value, spoiler.checked, sure);
        if (mine) {
          mine.body = text.value;
          saved.set("own", this.own);
        }
        if (edited.status !== "visible") this.showHeld(comment.id, body, edited.status, text.value);
        // Unless the live event for this edit came first and showed it already.
        else if (form.isConnected) this.replace(edited.comment);
      } catch (failure) {
        if (failure.code === "nudge") {
          const why = failure.reasons.map((reason) => this.t(`nudge_${reason}`)).join(" ");
          error.replaceChildren(`${this.t("nudgeIntro")} ${why} ${this.t("nudgeAdvice")} `, saveAnyway);
        } else error.textContent = this.t.refusal(failure);
      }
    });
    body.replaceChildren(form);
    text.focus();
  }

  // An edit the pipeline held or refused: readers no longer see the comment, so its author is
  // told why, and keeps the words they wrote.
  showHeld(id, body, status, words) {
    this.held.add(id);
    const kept = h("textarea", { rows: "4", readonly: true, "aria-label": this.t("yourText") });
    kept.value = words;
    const notice = this.t(status === "pending" ? "editAwaiting" : "editRefused");
    body.replaceChildren(h("p", { class: "notice held", role: "status", text: notice }), kept);
  }

  // For a reader who has written here: take out, or erase, what they wrote.
  showMyData() {
    const posted = Object.keys(this.own).length || Object.keys(this.mine?.own || {}).length;
    if (!posted || this.api.readOnly) this.dataSlot.replaceChildren();
    else if (!this.dataSlot.firstChild) {
      this.dataSlot.append(
        h("button", { type: "button", class: "link", text: this.t("downloadData"), onclick: () => this.download() }),
        h("button", { type: "button", class: "link", text: this.t("eraseData"), onclick: () => this.erase() }),
      );
    }
  }

  async download() {
    try {
      const data = await this.api.myData();
      const file = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(file);
      h("a", { href: url, download: "rejoinder-my-data.json" }).click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.dataNote.textContent = "";
    } catch (error) {
      this.dataNote.textContent = this.t.refusal(error);
    }
  }

  async erase() {
    if (!window.confirm(this.t("confirmErase"))) return;
    try {
      const { comments_removed: n } = await this.api.eraseMe();
      this.own = {};
      saved.set("own", this.own);
      this.mine = null;
      this.dataNote.textContent = this.t("erased", { n });
      await this.load(true);
    } catch (error) {
      this.dataNote.textContent = this.t.refusal(error);
    }
  }

  async remove(comment, item) {
    if (!window.confirm(this.t("confirmDelete"))) return;
    try {
      await this.api.remove(comment.id, this.own[comment.id] && this.own[comment.id].token);
      delete this.own[comment.id];
      if (this.mine) delete this.mine.own[comment.id];
      saved.set("own", this.own);
      this.markDeleted(comment.id);
      // If the live event came first, the count already went down.
      if (!this.deletedSeen.has(comment.id)) this.setCount(this.count - 1);
    } catch (error) {
      this.status.textContent = this.t.refusal(error);
    }
    return item;
  }

  replace(comment) {
    const old = this.find(comment.id);
    if (!old) return;
    this.held.delete(comment.id);
    const fresh = commentItem({ ...comment, replies: [] }, this, this.depthOf(old));
    old.querySelector(":scope > article").replaceWith(fresh.querySelector(":scope > article"));
  }

  markDeleted(id) {
    const old = this.find(id);
    const article = old?.querySelector(":scope > article");
    if (article) article.replaceWith(h("p", { class: "deleted", text: this.t("deleted") }));
  }

  // Live updates: counts change at once; new comments wait behind a button, so the page
  // never moves under the reader.

  listen() {
    if (!window.EventSource) return;
    this.events = this.api.events(this.thread);
    this.events.addEventListener("comment_created", (event) => {
      const data = JSON.parse(event.data);
      if (this.find(data.comment.id) || this.pending.some((c) => c.id === data.comment.id)) return;
      this.setCount(data.comment_count);
      if (!this.loaded) return;
      this.pending.push(data.comment);
      this.showPending();
    });
    // Not under an edit the reader has open (their own edit's event may come before its answer).
    this.events.addEventListener("comment_edited", (event) => {
      const { comment } = JSON.parse(event.data);
      if (!this.find(comment.id)?.querySelector(":scope > article .edit-form")) this.replace(comment);
    });
    // The server could not replay everything missed while disconnected: offer a reload.
    this.events.addEventListener("resync", () => {
      this.api.count(this.thread).then(
        (n) => this.setCount(n),
        () => {},
      );
      if (!this.loaded) return;
      const button = h("button", { type: "button", class: "new-comments", text: this.t("refresh") });
      button.addEventListener("click", () => this.load(true));
      this.liveSlot.replaceChildren(button);
    });
    this.events.addEventListener("comment_hidden", (event) => {
      const data = JSON.parse(event.data);
      this.pending = this.pending.filter((comment) => comment.id !== data.id);
      this.showPending();
      const item = this.find(data.id);
      // Not the reader's own comment while they edit it, nor after: they are told what happened.
      if (item && !this.held.has(data.id) && !item.querySelector(":scope > article .edit-form")) item.remove();
      this.setCount(data.comment_count);
    });
    this.events.addEventListener("comment_deleted", (event) => {
      const data = JSON.parse(event.data);
      this.deletedSeen.add(data.id);
      this.markDeleted(data.id);
      this.setCount(data.comment_count);
    });
  }

  showPending() {
    const n = this.pending.length;
    if (!n) {
      this.liveSlot.replaceChildren();
      return;
    }
    const button = h("button", { type: "button", class: "new-comments", text: this.t("newComments", { n }) });
    button.addEventListener("click", () => {
      const items = this.pending.map((comment) => this.insert(comment)).filter(Boolean);
      this.pending = [];
      this.liveSlot.replaceChildren();
      for (const item of items) this.flash(item);
      if (items[0]) items[0].focus();
    });
    this.liveSlot.replaceChildren(button);
  }

  flash(item) {
    item.classList.add("fresh");
    setTimeout(() => item.classList.remove("fresh"), 4000);
  }

  tick() {
    refreshTimes(this.shadowRoot, this.lang);
    for (const id of new Set([...Object.keys(this.own), ...Object.keys(this.mine ? this.mine.own : {})])) {
      if (this.canEdit(id)) continue;
      const item = this.find(id);
      if (!item) continue;
      for (const button of item.querySelectorAll(":scope > article .edit, :scope > article .delete")) button.remove();
    }
  }

  async followLink() {
    const match = location.hash.match(/^#comment-(\d+)$/);
    if (!match) return;
    await this.showComments(); // opens it, or waits for the first page if it is opening
    let item = this.find(match[1]);
    for (let page = 0; !item && this.cursor && page < MAX_PAGES_FOR_LINK; page++) {
      await this.load();
      item = this.find(match[1]);
    }
    if (!item) {
      // Removed, held for a moderator, or further back than we look: say so, not nothing.
      this.status.textContent = this.t("linkNotFound");
      return;
    }
    for (let node = item; node && node !== this.list && node !== this.picks; node = node.parentElement) {
      if (node.matches("li.comment")) node.hidden = false;
    }
    for (const old of this.shadowRoot.querySelectorAll(".target")) old.classList.remove("target");
    item.classList.add("target");
    item.scrollIntoView({ block: "center" });
    item.focus({ preventScroll: true });
  }
}

if (!customElements.get("rejoinder-comments")) customElements.define("rejoinder-comments", RejoinderComments);
