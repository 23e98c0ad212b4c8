// DOM builders for the widget. Text from readers goes in with textContent; the one use of
// innerHTML is a comment's body, which the server rendered and sanitised when it was posted.

import { randomKey } from "./api.js";
import { exactTime, relativeTime } from "./time.js";

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function timeElement(iso, lang) {
  const date = new Date(iso);
  return h("time", {
    datetime: iso,
    title: exactTime(date, lang),
    "data-relative": "",
    text: relativeTime(date, lang),
  });
}

export function refreshTimes(root, lang) {
  for (const element of root.querySelectorAll("time[data-relative]")) {
    element.textContent = relativeTime(new Date(element.getAttribute("datetime")), lang);
  }
}

function badges(author, t, featured) {
  const found = [];
  if (featured) found.push(h("span", { class: "badge pick", text: t("pick") }));
  if (author.guest) found.push(h("span", { class: "badge guest", text: t("guest") }));
  if (author.badge) {
    const label = author.badge === "staff" ? t("staff") : author.badge;
    found.push(h("span", { class: "badge staff", text: label }));
  }
  return found;
}

// An inline ||spoiler|| (a span the server made) is a button until a click, a tap, Enter or
// Space opens it; then it is text, and stays open. Closed, its name is not its words and the
// links inside it cannot be reached.
function revealable(span, t) {
  const links = span.querySelectorAll("a");
  for (const link of links) link.tabIndex = -1;
  const closed = { role: "button", tabindex: "0", "aria-expanded": "false", "aria-label": t("showSpoiler") };
  for (const [name, value] of Object.entries(closed)) span.setAttribute(name, value);
  const open = (event) => {
    if (span.classList.contains("open")) return;
    event.preventDefault();
    for (const name of ["role", "aria-expanded", "aria-label"]) span.removeAttribute(name);
    for (const link of links) link.removeAttribute("tabindex");
    span.tabIndex = -1; // focus stays where the reader was
    span.classList.add("open");
  };
  span.addEventListener("click", open);
  span.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") open(event);
  });
}

// Past this many characters of text a comment is shown folded, with "Read more": a
// 10,000-character comment would otherwise fill several screens of a phone.
const FOLD_AFTER = 1200;

// A long comment's text, folded to a few lines until the reader asks for the rest.
function folded(text, t) {
  if (text.textContent.length <= FOLD_AFTER) return text;
  text.classList.add("folded");
  text.id = `text-${Math.random().toString(36).slice(2)}`;
  const more = h("button", {
    type: "button",
    class: "link read-more",
    "aria-expanded": "false",
    "aria-controls": text.id,
    text: t("readMore"),
  });
  more.addEventListener("click", () => {
    const open = text.classList.toggle("folded") === false;
    more.setAttribute("aria-expanded", String(open));
    more.textContent = t(open ? "readLess" : "readMore");
  });
  return [text, more];
}

function body(comment, t) {
  const text = h("div", { class: "text" });
  text.innerHTML = comment.html;
  for (const span of text.querySelectorAll("span.spoiler")) revealable(span, t);
  if (!comment.spoiler) return folded(text, t);
  text.hidden = true;
  const [, more] = [folded(text, t)].flat();
  if (more) more.hidden = true;
  const cover = h("button", { type: "button", class: "spoiler-cover", "aria-expanded": "false", text: t("spoiler") });
  cover.addEventListener("click", () => {
    text.hidden = false;
    if (more) more.hidden = false;
    cover.remove();
    text.setAttribute("tabindex", "-1");
    text.focus();
  });
  return h("div", { class: "spoiler-comment" }, cover, text, more);
}

function voteButton(kind, comment, view) {
  const count = comment.votes[kind];
  const mine = view.myVote(comment.id) === (kind === "up" ? 1 : -1);
  return h(
    "button",
    {
      type: "button",
      class: `vote ${kind}`,
      "aria-pressed": String(mine),
      disabled: view.api.readOnly,
      onclick: () => view.vote(comment, kind === "up" ? 1 : -1),
    },
    h("span", { class: "arrow", "aria-hidden": "true", text: kind === "up" ? "▲" : "▼" }),
    h("span", { class: "visually-hidden", text: view.t(kind) }),
    h("span", { class: "count", text: count }),
  );
}

// The comment a button is in now: an edited comment's new article moves into the old item.
const itemOf = (event) => event.currentTarget.closest("li.comment");

export function commentItem(comment, view, depth = 0) {
  const { t, lang } = view;
  const item = h("li", { class: "comment", id: `comment-${comment.id}`, "data-id": comment.id, tabindex: "-1" });
  if (comment.deleted) {
    item.append(h("p", { class: "deleted", text: t("deleted") }));
  } else {
    const authorId = `author-${comment.id}`;
    const name = comment.author.name;
    item.append(
      h(
        "article",
        { "aria-labelledby": authorId },
        h(
          "header",
          { class: "meta" },
          h("span", { class: "avatar", "aria-hidden": "true", text: (name || "?").trim().charAt(0).toUpperCase() }),
          h("span", { class: "author", id: authorId, text: name }),
          badges(comment.author, t, comment.featured),
          h("a", { class: "permalink", href: `#comment-${comment.id}` }, timeElement(comment.created_at, lang)),
          comment.edited_at ? h("span", { class: "edited", text: `(${t("edited")})` }) : null,
        ),
        h("div", { class: "body" }, body(comment, t)),
        h(
          "footer",
          { class: "actions" },
          voteButton("up", comment, view),
          voteButton("down", comment, view),
          view.closed || view.api.readOnly
            ? null
            : h("button", {
                type: "button",
                class: "link reply",
                "aria-expanded": "false",
                text: t("reply"),
                onclick: (event) => view.openReply(comment, event.currentTarget),
              }),
          view.canEdit(comment.id)
            ? h("button", {
                type: "button",
                class: "link edit",
                text: t("edit"),
                onclick: (event) => view.openEdit(comment, itemOf(event)),
              })
            : null,
          view.canEdit(comment.id)
            ? h("button", {
                type: "button",
                class: "link delete",
                text: t("delete"),
                onclick: (event) => view.remove(comment, itemOf(event)),
              })
            : null,
          view.isMine(comment.id) || view.api.readOnly
            ? null
            : h("button", {
                type: "button",
                class: "link report",
                "aria-expanded": "false",
                text: t("report"),
                onclick: (event) => reportForm(comment, view, itemOf(event), event.currentTarget),
              }),
        ),
        h("div", { class: "reply-slot" }),
      ),
    );
  }
  const replies = h("ol", { class: depth < 3 ? "replies" : "replies flat" });
  const visible = view.visibleReplies;
  comment.replies.forEach((reply, index) => {
    const child = commentItem(reply, view, depth + 1);
    if (index >= visible) child.hidden = true;
    replies.append(child);
  });
  item.append(replies);
  // One button for the rest of the replies, in order: first those this page carries but
  // hides, then, page by page, those the server still has.
  let cursor = comment.more_replies;
  const waiting = () => [...replies.children].filter((child) => child.hidden);
  const left = () => {
    const fetched = replies.children.length;
    return waiting().length + (cursor ? Math.max(comment.reply_count - fetched, 1) : 0);
  };
  if (left() > 0) {
    const more = h("button", { type: "button", class: "link more-replies", text: t("moreReplies", { n: left() }) });
    more.addEventListener("click", async () => {
      const hiddenHere = waiting();
      if (hiddenHere.length) {
        for (const child of hiddenHere) child.hidden = false;
      } else if (cursor) {
        more.disabled = true;
        cursor = await view.moreReplies(comment, cursor);
        more.disabled = false;
      }
      if (left() > 0) more.textContent = t("moreReplies", { n: left() });
      else more.remove();
    });
    item.append(more);
  }
  return item;
}

const REASONS = [
  ["spam", "spam"],
  ["abuse", "abuse"],
  ["off_topic", "off_topic"],
  ["misinformation", "misinformation"],
  ["spoiler", "spoilerReason"],
];

function reportForm(comment, view, item, button) {
  const slot = item.querySelector(":scope > article .reply-slot");
  if (slot.querySelector(".report-form")) {
    slot.replaceChildren();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const { t } = view;
  const name = `r${comment.id}`;
  const note = h("p", { class: "error", role: "status" });
  const form = h(
    "form",
    { class: "report-form" },
    h(
      "fieldset",
      {},
      h("legend", { text: t("reportTitle") }),
      REASONS.map(([value, label], index) =>
        h(
          "label",
          { class: "check" },
          h("input", { type: "radio", name, value, checked: index === 0 }),
          ` ${t(label)}`,
        ),
      ),
    ),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: t("send") })),
    note,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = form.querySelector("input:checked").value;
    try {
      await view.api.report(comment.id, reason);
      form.replaceChildren(h("p", { class: "notice", role: "status", text: t("reported") }));
    } catch (error) {
      note.textContent = t.refusal(error);
    }
  });
  slot.replaceChildren(form);
  button.setAttribute("aria-expanded", "true");
  form.querySelector("input").focus();
}

// The server's limits (domain/names.py, domain/comments.py), which
// tests/browser/test_writing_in_the_widget.py holds these to.
export const LIMITS = { name: 64, email: 254, body: 10_000 };

// From 90% of the body's limit on, how many characters are left, counted as the server counts
// them (code points, so an emoji is one).
export function counter(text, t) {
  const note = h("p", { class: "counter", "aria-live": "polite" });
  const update = () => {
    const used = [...text.value].length;
    const left = LIMITS.body - used;
    note.hidden = used < LIMITS.body * 0.9;
    note.classList.toggle("over", left < 0);
    note.textContent = t(left < 0 ? "overLimit" : "charsLeft", { n: Math.abs(left) });
  };
  text.addEventListener("input", update);
  update();
  return note;
}

let formCount = 0;

// "Preview": the text as it would be published, rendered by the server by the same rules as
// every comment (so it is the server's sanitised HTML that goes in); it hides again as soon
// as the text changes, so it never shows what will not be sent.
function previewOf(text, view) {
  const { t } = view;
  const box = h("div", { class: "preview", hidden: true, "aria-live": "polite" });
  const button = h("button", { type: "button", class: "link preview-button", text: t("preview") });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { html } = await view.api.preview(text.value);
      const shown = h("div", { class: "text" });
      shown.innerHTML = html;
      box.replaceChildren(h("p", { class: "preview-title", text: t("previewTitle") }), shown);
    } catch (error) {
      box.replaceChildren(h("p", { class: "error", text: t.refusal(error) }));
    } finally {
      box.hidden = false;
      button.disabled = false;
    }
  });
  text.addEventListener("input", () => {
    box.hidden = true;
  });
  return [button, box];
}

export function composeForm(view, { parent = null, onDone = null } = {}) {
  const { t } = view;
  const id = `f${++formCount}`;
  const field = (name, label, control) => {
    control.id = `${id}-${name}`;
    control.name = name;
    control.setAttribute("aria-describedby", `${id}-${name}-error`);
    return h(
      "div",
      { class: `field ${name}` },
      h("label", { for: control.id, text: label }),
      control,
      h("p", { class: "error", id: `${id}-${name}-error`, "aria-live": "polite" }),
    );
  };
  const name = h("input", { type: "text", autocomplete: "nickname", maxlength: LIMITS.name, required: true });
  name.value = view.rememberedName();
  const email = h("input", { type: "email", autocomplete: "email", maxlength: LIMITS.email });
  const text = h("textarea", { rows: parent ? "3" : "4", required: true });
  const spoiler = h("input", { type: "checkbox", id: `${id}-spoiler`, name: "spoiler" });
  const notify = h("input", { type: "checkbox", id: `${id}-notify`, name: "notify_replies" });
  const submit = h("button", { type: "submit", class: "primary", text: t("post") });
  const status = h("p", { class: "error form-error", role: "alert" });
  const [previewButton, preview] = previewOf(text, view);
  const title = parent ? t("replyTitle", { name: parent.author.name }) : t("formTitle");
  const form = h(
    "form",
    { class: parent ? "compose reply-form" : "compose", novalidate: true, "aria-label": title },
    parent ? null : h("h3", { class: "form-title", text: title }),
    view.user
      ? h("p", { class: "who signed-in", text: t("signedIn", { name: view.user }) })
      : h("div", { class: "who" }, field("author_name", t("name"), name), field("author_email", t("email"), email)),
    // A signed-in reader's address comes from their sign-on, so they are offered it too.
    view.mail ? h("label", { class: "check", for: notify.id }, notify, ` ${t("mailMe")}`) : null,
    field("body", t("body"), text),
    counter(text, t),
    preview,
    h(
      "div",
      { class: "form-actions" },
      h("label", { class: "check", for: spoiler.id }, spoiler, ` ${t("markSpoiler")}`),
      parent ? h("button", { type: "button", class: "link", text: t("cancel"), onclick: () => onDone?.(null) }) : null,
      previewButton,
      submit,
    ),
    status,
  );
  const controls = { author_name: name, author_email: email, body: text };
  // One Idempotency-Key per draft: an error keeps the text, and sending the same text again
  // reuses the key, so a comment stored before its answer was lost comes back, not a copy.
  let draft = null;
  // A nudge (the server would hold the text for its words) is shown once, with the reasons;
  // the reader revises, or presses "Post as it is", which sends the same text acknowledged.
  let acknowledged = null;
  const nudge = h("div", { class: "nudge", role: "alert", hidden: true });
  const postAnyway = h("button", { type: "button", class: "link", text: t("postAnyway") });
  postAnyway.addEventListener("click", () => {
    acknowledged = text.value;
    form.requestSubmit();
  });
  text.addEventListener("input", () => {
    nudge.hidden = true;
  });
  form.insertBefore(nudge, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
    for (const error of form.querySelectorAll(".error")) error.textContent = "";
    submit.disabled = true;
    submit.textContent = t("posting");
    const fields = {
      author_name: view.user ? null : name.value,
      author_email: view.user ? null : email.value.trim() || null,
      body: text.value,
      spoiler: spoiler.checked,
      parent_id: parent ? parent.id : null,
    };
    if (view.mail && notify.checked) Object.assign(fields, { notify_replies: true, language: view.lang });
    if (acknowledged !== null && acknowledged === text.value) fields.nudge_acknowledged = true;
    nudge.hidden = true;
    const sent = JSON.stringify(fields);
    if (!draft || draft.sent !== sent) draft = { sent, key: randomKey() };
    try {
      const created = await view.post(fields, draft.key);
      draft = null;
      // A comment the pipeline refused is not kept anywhere: its text stays for the reader.
      if (created.status !== "rejected") {
        text.value = "";
        spoiler.checked = false;
        text.dispatchEvent(new Event("input"));
      }
      if (created.status !== "visible") status.textContent = t(created.status === "pending" ? "awaiting" : "refused");
      // A reply's form closes once it is posted: the note goes under the discussion instead.
      else if (created.mail === "confirmation_sent") (onDone ? view.status : status).textContent = t("mailSent");
      if (onDone && created.status === "visible") onDone(created);
    } catch (error) {
      if (error.code === "nudge") {
        const why = error.reasons.map((reason) => h("li", { text: t(`nudge_${reason}`) }));
        nudge.replaceChildren(
          h("p", { text: t("nudgeIntro") }),
          h("ul", {}, why),
          h("p", { text: t("nudgeAdvice") }),
          postAnyway,
        );
        nudge.hidden = false;
        text.focus();
        return;
      }
      const control = controls[error.field];
      const message = t.refusal(error);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        form.querySelector(`#${control.id}-error`).textContent = message;
        control.focus();
      } else {
        status.textContent = message;
      }
    } finally {
      submit.disabled = false;
      submit.textContent = t("post");
    }
  });
  return form;
}
