// The widget's words. English is here, and is what any missing word falls back to; every
// other language is a module of its own under lang/, so a reader downloads only theirs.
// Counts go through Intl.PluralRules, so each language gets its own plural forms.

export const LANGUAGES = ["en", "uk", "de", "fr", "es", "pl"];

export const ENGLISH = {
  comments: "Comments ({n})",
  show: "Show comments",
  hide: "Hide comments",
  sortLabel: "Sort comments",
  best: "Best",
  oldest: "Oldest",
  newest: "Newest",
  guest: "Guest",
  staff: "Staff",
  spoiler: "This comment contains spoilers. Click here if you want to read.",
  reply: "Reply",
  edit: "Edit",
  delete: "Delete",
  save: "Save",
  cancel: "Cancel",
  confirmDelete: "Delete this comment? This cannot be undone.",
  deleted: "This comment was deleted.",
  edited: "edited",
  up: "Upvote",
  down: "Downvote",
  newComments: { one: "{n} new comment", other: "{n} new comments" },
  commentCount: { one: "{n} comment", other: "{n} comments" },
  moreReplies: { one: "Show {n} more reply", other: "Show {n} more replies" },
  loadMore: "Load more",
  loading: "Loading…",
  empty: "No comments yet. Be the first to say something.",
  mailMe: "E-mail me replies",
  mailSent: "We sent you an e-mail: open its link to get replies by e-mail.",
  formTitle: "Join the discussion",
  replyTitle: "Reply to {name}",
  name: "Name",
  email: "Email (optional, never shown)",
  body: "Comment",
  markSpoiler: "Contains spoilers",
  post: "Post",
  posting: "Posting…",
  closed: "This discussion is closed.",
  network: "Could not reach the comments server. Check your connection and try again.",
  failed: "Something went wrong. Please try again.",
  pick: "Editor's pick",
  picks: "Editor's picks",
  report: "Report",
  reportTitle: "Why should moderators look at this comment?",
  spam: "Spam",
  abuse: "Abuse or harassment",
  off_topic: "Off-topic",
  misinformation: "Misinformation",
  spoilerReason: "Unmarked spoiler",
  send: "Send report",
  reported: "Thanks. The moderators will take a look.",
  awaiting: "Thanks! Your comment will appear once a moderator has read it.",
  refused: "Your comment was not published because it breaks this site's rules.",
  signedIn: "Commenting as {name}",
  refresh: "There are new comments. Show them",
  showSpoiler: "Spoiler: press to show",
  readOnly: "Comments can't be posted from this site.",
  editAwaiting: "Your edit is waiting for a moderator. Until they read it, this comment is not shown. Your text:",
  editRefused:
    "Your edit was not published because it breaks this site's rules, and this comment is no longer shown. Your text:",
  yourText: "Your text",
  readMore: "Read more",
  readLess: "Show less",
  nudgeIntro: "This comment may not be published as it is:",
  nudge_toxicity: "it may read as abusive or hostile;",
  nudge_suspect_words: "it uses words a moderator checks first;",
  nudge_banned_words: "it uses words this site does not publish.",
  nudgeAdvice:
    "You can change it and post again, or post it as it is: a moderator will read it before anyone else sees it.",
  postAnyway: "Post as it is",
  saveAnyway: "Save as it is",
  preview: "Preview",
  previewTitle: "Preview: as it will be published",
  linkNotFound:
    "The comment this link points to is not in this discussion (it may have been removed, or be waiting for a moderator).",
  charsLeft: { one: "{n} character left", other: "{n} characters left" },
  overLimit: { one: "{n} character too many", other: "{n} characters too many" },
  downloadData: "Download my data",
  eraseData: "Erase my comments",
  confirmErase: "Erase all your comments? This cannot be undone.",
  erased: { one: "{n} comment erased.", other: "{n} comments erased." },
  // Refusals, by the server's stable error code (the field is shown beside them).
  errors: {
    required: "Please fill this in.",
    nudge:
      "This may not be published as it is: change the words that could read as hostile or that this site checks, and try again.",
    too_long: "This is too long.",
    too_large: "This is too long.",
    control_character: "This contains characters that are not allowed.",
    invisible_character: "Names cannot contain invisible or blank characters.",
    nul_byte: "This contains characters that are not allowed.",
    name_reserved: "That name is kept for the newsroom or another reader. Please choose another.",
    email_required: "Give an e-mail address to get replies by e-mail.",
    mail_off: "This site does not send e-mail notifications.",
    invalid_email: "Please give a valid e-mail address, or leave it empty.",
    thread_closed: "This discussion is closed.",
    parent_deleted: "That comment has been deleted.",
    parent_not_found: "That comment is no longer here.",
    banned: "You can no longer comment here.",
    rate_limited: "You are posting quickly. Please wait a moment and try again.",
    vote_limit: "Too many votes from your network on this comment.",
    edit_window_closed: "This comment can no longer be changed.",
    edit_token_invalid: "Only the author can change this comment.",
    database_unavailable: "The comments server is briefly unavailable. Your text is kept: try again in a moment.",
    database_busy: "The comments server is busy. Your text is kept: try again in a moment.",
    storage_full: "The comments server cannot save right now. Your text is kept: try again later.",
    redis_unavailable: "The comments server is briefly unavailable. Your text is kept: try again in a moment.",
  },
};

// The reader's language: the one asked for (data-rejoinder-lang), else the page's, else the
// browser's, matched on its primary subtag ("de-AT" is "de"); English when none is shipped.
export function pickLanguage(requested) {
  for (const tag of [requested, document.documentElement.lang, ...(navigator.languages || [navigator.language])]) {
    const primary = (tag || "").toLowerCase().split("-")[0];
    if (LANGUAGES.includes(primary)) return primary;
  }
  return "en";
}

const loaded = new Map();

// The words of ``lang``, loaded once per page; English if its module cannot be had.
export function loadStrings(lang) {
  if (lang === "en") return Promise.resolve(ENGLISH);
  if (!loaded.has(lang)) {
    loaded.set(
      lang,
      import(`./lang/${lang}.js`).then(
        (module) => module.default,
        () => ENGLISH,
      ),
    );
  }
  return loaded.get(lang);
}

export async function loadTranslator(lang) {
  return translator(lang, await loadStrings(lang));
}

export function translator(lang, strings = ENGLISH) {
  const plurals = new Intl.PluralRules(lang);
  const t = (key, values = {}) => {
    let text = strings[key] ?? ENGLISH[key] ?? key;
    if (typeof text === "object") text = text[plurals.select(values.n ?? 0)] ?? text.other;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  };
  // What to tell the reader of a refusal. The server's message is English and the most
  // precise ("at most 64 characters"), so English readers get it; readers in another language
  // get the widget's own words for each code it knows, and "something went wrong" otherwise.
  t.refusal = (error) => {
    if (error.code === "network") return t("network");
    if (lang === "en" && error.message) return error.message;
    return strings.errors?.[error.code] ?? ENGLISH.errors[error.code] ?? t("failed");
  };
  return t;
}
