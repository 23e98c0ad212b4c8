// Rejoinder's one-line embed. Paste where the discussion should appear:
//   <div data-rejoinder-thread="KEY"></div>
//   <script src="https://HOST/embed.js" async></script>
// Optional on the div: data-rejoinder-title, data-rejoinder-url, data-rejoinder-lang, and
// data-rejoinder-sso (the publisher's sign-on JWT for a signed-in reader).
// This classic script only finds the placeholders and loads the widget's ES modules
// from the same server; it works with `async` because it reads its own address first.
// Placeholders added after the page has loaded are found and mounted as they arrive.
(() => {
  const script = document.currentScript;
  const base = new URL(script ? script.src : "/embed.js", document.baseURI).origin;

  function mount() {
    const places = document.querySelectorAll("[data-rejoinder-thread]:not([data-rejoinder-mounted])");
    if (!places.length) return;
    for (const place of places) place.setAttribute("data-rejoinder-mounted", ""); // taken: once
    import(`${base}/static/widget/element.js`).then(() => {
      for (const place of places) {
        const widget = document.createElement("rejoinder-comments");
        widget.setAttribute("base", base);
        const names = { thread: "thread", title: "thread-title", url: "thread-url", lang: "lang", sso: "sso-token" };
        for (const [data, name] of Object.entries(names)) {
          const value = place.getAttribute(`data-rejoinder-${data}`);
          if (value) widget.setAttribute(name, value);
        }
        takeOver(place, widget);
      }
    });
  }

  // A placeholder may hold the discussion as the server rendered it (Rejoinder's article
  // pages, or a publisher's page that includes /fragments/comments): then the widget opens at
  // once, starts from the page the server put beside it instead of downloading it again, and
  // replaces the static copy only once its stylesheet has loaded, so nothing flashes.
  function takeOver(place, widget) {
    const rendered = place.querySelector("[data-rejoinder-static]");
    if (!rendered) {
      place.replaceChildren(widget);
      return;
    }
    const island = place.querySelector("script[data-rejoinder-first-page]");
    try {
      if (island) widget.firstPage = JSON.parse(island.textContent);
    } catch {
      // a page we cannot read is fetched like any other
    }
    widget.setAttribute("open", "");
    widget.hidden = true;
    const show = () => {
      // Not replaceChildren: moving the widget would disconnect it, and its live updates.
      for (const node of [...place.childNodes]) if (node !== widget) node.remove();
      widget.hidden = false;
    };
    widget.addEventListener("rejoinder-ready", show, { once: true });
    place.append(widget);
  }

  function watch() {
    mount();
    // Placeholders added later (client-side navigation, a page built by script) mount too.
    new MutationObserver((changes) => {
      if (changes.some((change) => change.addedNodes.length)) mount();
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
