// Rejoinder's comment counts for article lists. Paste once per page:
//   <span data-rejoinder-count="KEY"></span>   (as many as the page has, anywhere)
//   <script src="https://HOST/count.js" async></script>
// Each span gets its thread's count in the reader's words ("2 comments"): the language is the
// span's data-rejoinder-lang, else the nearest lang attribute, else the browser's. All the
// spans found at once cost one request; spans added later (infinite scroll, client-side
// navigation) are found as they arrive and filled the same way, in one request per batch.
(() => {
  const script = document.currentScript;
  const base = new URL(script ? script.src : "/count.js", document.baseURI).origin;
  const MAX_PER_REQUEST = 200; // what /api/counts answers at once
  const words = import(`${base}/static/widget/i18n.js`);
  let scheduled = false;

  function language(place) {
    const own = place.getAttribute("data-rejoinder-lang");
    const near = place.closest("[lang]");
    return own || near?.getAttribute("lang") || navigator.language || "en";
  }

  async function fill(places) {
    const keys = [...new Set(places.map((place) => place.getAttribute("data-rejoinder-count")))];
    const { loadTranslator, pickLanguage } = await words;
    for (let start = 0; start < keys.length; start += MAX_PER_REQUEST) {
      const query = new URLSearchParams();
      for (const key of keys.slice(start, start + MAX_PER_REQUEST)) query.append("thread", key);
      let counts;
      try {
        const response = await fetch(`${base}/api/counts?${query}`, { credentials: "omit" });
        if (!response.ok) continue; // a bad key in the batch: leave these spans as they were
        ({ counts } = await response.json());
      } catch {
        continue; // offline or blocked: the page reads as it did without the script
      }
      for (const place of places) {
        const key = place.getAttribute("data-rejoinder-count");
        if (!(key in counts)) continue;
        const n = counts[key];
        const t = await loadTranslator(pickLanguage(language(place))); // each language once
        place.textContent = t("commentCount", { n });
        place.setAttribute("data-rejoinder-comments", String(n));
      }
    }
  }

  function collect() {
    scheduled = false;
    const places = [...document.querySelectorAll("[data-rejoinder-count]:not([data-rejoinder-counted])")];
    for (const place of places) place.setAttribute("data-rejoinder-counted", "");
    if (places.length) fill(places);
  }

  function soon() {
    // Spans added in one go (a page of results) arrive as many mutations: one batch for all.
    if (scheduled) return;
    scheduled = true;
    setTimeout(collect, 0);
  }

  function watch() {
    collect();
    new MutationObserver((changes) => {
      if (changes.some((change) => change.addedNodes.length)) soon();
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
