// The widget's words in English and Ukrainian. Counts go through Intl.PluralRules, so
// Ukrainian gets its one / few / many forms.

const STRINGS = {
  en: {
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
    moreReplies: { one: "Show {n} more reply", other: "Show {n} more replies" },
    loadMore: "Load more",
    loading: "Loading…",
    empty: "No comments yet. Be the first to say something.",
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
  },
  uk: {
    comments: "Коментарі ({n})",
    show: "Показати коментарі",
    hide: "Сховати коментарі",
    sortLabel: "Сортувати коментарі",
    best: "Найкращі",
    oldest: "Найстаріші",
    newest: "Найновіші",
    guest: "Гість",
    staff: "Редакція",
    spoiler: "Цей коментар містить спойлери. Натисніть тут, щоб прочитати.",
    reply: "Відповісти",
    edit: "Редагувати",
    delete: "Видалити",
    save: "Зберегти",
    cancel: "Скасувати",
    confirmDelete: "Видалити цей коментар? Це не можна скасувати.",
    deleted: "Цей коментар видалено.",
    edited: "змінено",
    up: "Підтримати",
    down: "Не підтримати",
    newComments: { one: "{n} новий коментар", few: "{n} нові коментарі", other: "{n} нових коментарів" },
    moreReplies: { one: "Показати ще {n} відповідь", few: "Показати ще {n} відповіді", other: "Показати ще {n} відповідей" },
    loadMore: "Завантажити ще",
    loading: "Завантаження…",
    empty: "Коментарів ще немає. Напишіть першим.",
    formTitle: "Долучитися до обговорення",
    replyTitle: "Відповідь для {name}",
    name: "Ім’я",
    email: "Email (необов’язково, не показується)",
    body: "Коментар",
    markSpoiler: "Містить спойлери",
    post: "Надіслати",
    posting: "Надсилання…",
    closed: "Обговорення закрите.",
    network: "Не вдалося з’єднатися з сервером коментарів. Перевірте з’єднання і спробуйте ще.",
    failed: "Щось пішло не так. Спробуйте ще раз.",
  },
};

export function pickLanguage(requested) {
  const tag = (requested || document.documentElement.lang || navigator.language || "en").toLowerCase();
  return tag.startsWith("uk") ? "uk" : "en";
}

export function translator(lang) {
  const strings = STRINGS[lang] || STRINGS.en;
  const plurals = new Intl.PluralRules(lang);
  return (key, values = {}) => {
    let text = strings[key] ?? STRINGS.en[key] ?? key;
    if (typeof text === "object") text = text[plurals.select(values.n ?? 0)] ?? text.other;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  };
}
