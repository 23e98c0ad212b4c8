// The moderation queue from the keyboard, kept current without reloading.
// Without this file every action still works as a plain form post.
const items = document.getElementById("items");
const announcer = document.getElementById("announcer");
const queue = items ? items.dataset.queue : null;
const KEYS = { a: "approve", r: "reject", s: ["spoiler", "unspoiler"], f: ["feature", "unfeature"] };
// What this script says, in the page's language (admin/base.html): "{id}" marks a value.
const WORDS = JSON.parse(document.getElementById("admin-words")?.textContent || "{}");

function word(name, values = {}) {
  const text = WORDS[name] || name;
  return text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

function say(text) {
  announcer.textContent = "";
  requestAnimationFrame(() => {
    announcer.textContent = text;
  });
}

function allItems() {
  return items ? [...items.querySelectorAll(".item")] : [];
}

function current() {
  return items && (items.querySelector(".item.current") || null);
}

function select(item) {
  for (const other of allItems()) other.classList.remove("current");
  if (!item) return;
  item.classList.add("current");
  item.focus({ preventScroll: true });
  item.scrollIntoView({ block: "nearest" });
}

function move(step) {
  const list = allItems();
  if (!list.length) return;
  const at = list.indexOf(current());
  const next = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + step));
  select(list[next]);
}

async function refreshCounts() {
  let counts;
  try {
    const response = await fetch("/admin/counts", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    counts = await response.json();
  } catch {
    return; // the badges stay as they were until the next change refreshes them
  }
  for (const [name, n] of Object.entries(counts)) {
    const badge = document.querySelector(`[data-count="${name}"]`);
    if (badge) badge.textContent = String(n);
  }
}

function emptyCheck() {
  const empty = document.getElementById("empty");
  if (empty) empty.hidden = allItems().length > 0;
}

// Take an item off the page; if it was the current one, the next (or previous) takes over.
function drop(item) {
  if (!item.isConnected) return;
  const successor = item.nextElementSibling || item.previousElementSibling;
  const wasCurrent = item.classList.contains("current");
  item.remove();
  if (wasCurrent || !current()) select(successor?.isConnected ? successor : allItems()[0] || null);
  emptyCheck();
}

async function replaceItem(id) {
  const response = await fetch(`/admin/items/${id}?queue=${encodeURIComponent(queue)}`);
  const old = document.getElementById(`item-${id}`);
  if (response.status === 204) {
    if (old) drop(old);
    return null;
  }
  if (!response.ok) return null;
  const holder = document.createElement("div");
  holder.innerHTML = await response.text(); // server-rendered, escaped by Jinja
  const fresh = holder.firstElementChild;
  if (old) {
    if (old.classList.contains("current")) fresh.classList.add("current");
    old.replaceWith(fresh);
  } else {
    items.append(fresh);
    // An empty queue that gets its first item: that item is the one to work on.
    if (!current()) select(fresh);
  }
  emptyCheck();
  return fresh;
}

async function act(item, action, extra) {
  const form = item.querySelector("form.actions");
  const data = new FormData(form);
  data.set("action", action);
  for (const [key, value] of Object.entries(extra || {})) data.set(key, value);
  item.setAttribute("aria-busy", "true");
  let response;
  try {
    // Not form.action: the buttons are named "action", which shadows the property.
    response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { Accept: "application/json" },
    });
  } catch {
    // The network, not the server: the item stays, and the next key tries again.
    say(word("failed"));
    return;
  } finally {
    item.removeAttribute("aria-busy");
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    say(answer.error?.message || word("failed"));
    return;
  }
  if (answer.leaves_queue) {
    drop(item);
  } else {
    const fresh = await replaceItem(answer.id);
    if (fresh) select(fresh);
  }
  say(word(answer.leaves_queue ? "done_leaving" : "done", { id: answer.id, action: word(action) }));
  refreshCounts();
}

function onSubmit(event) {
  const form = event.target;
  if (!form.matches?.("form.actions")) return;
  const button = event.submitter;
  if (!button || button.value === "edit") return;
  event.preventDefault();
  const extra = {};
  act(form.closest(".item"), button.value, extra);
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest?.("input, textarea, select, [contenteditable]")) return;
  const key = event.key;
  if (key === "j") {
    move(1);
    event.preventDefault();
    return;
  }
  if (key === "k") {
    move(-1);
    event.preventDefault();
    return;
  }
  const item = current() || target.closest?.(".item");
  if (!item) return;
  if (key === "x") {
    const box = item.querySelector('input[name="ids"]');
    box.checked = !box.checked;
    event.preventDefault();
    return;
  }
  if (key === "b") {
    const details = item.querySelector("details.ban");
    details.open = true;
    details.querySelector("select").focus();
    event.preventDefault();
    return;
  }
  const wanted = KEYS[key];
  if (!wanted) return;
  event.preventDefault();
  // Keys pressed while an action is on its way wait their turn, then apply to whichever
  // item is current by then: pressing r three times rejects three comments.
  queued = queued.then(() => {
    const target = current();
    if (!target) return null;
    const names = Array.isArray(wanted) ? wanted : [wanted];
    const button = names.map((name) => target.querySelector(`button[value="${name}"]`)).find(Boolean);
    return button ? act(target, button.value) : null;
  });
  // Whatever went wrong with one key, the keys after it still get their turn.
  queued = queued.catch(() => say(word("failed")));
}

let queued = Promise.resolve();

function listen() {
  if (!items || !window.EventSource) return;
  const source = new EventSource("/admin/events");
  source.addEventListener("queue_changed", async (message) => {
    const data = JSON.parse(message.data);
    const known = document.getElementById(`item-${data.comment_id}`);
    const fresh = await replaceItem(data.comment_id);
    if (fresh && !known) say(word("arrived", { id: data.comment_id, reason: data.reason }));
    refreshCounts();
  });
}

if (items) {
  document.addEventListener("keydown", onKey);
  document.addEventListener("submit", onSubmit);
  items.addEventListener("click", (event) => {
    const item = event.target.closest(".item");
    if (item && !event.target.closest("button, a, input, select, summary")) select(item);
  });
  if (allItems().length) select(allItems()[0]);
  listen();
}
