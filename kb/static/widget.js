/* Clinic knowledge-base search widget. Embed with:
 *   <div id="kb-search"></div>
 *   <script src="https://KB-HOST/widget.js" data-target="#kb-search" defer></script>
 * Options (data- attributes on the script tag): data-placeholder, data-results (1-10),
 * data-new-tab, data-scar-type / data-procedure / data-side-effect / data-cost (comma lists).
 * Theme: --kb-accent, -text, -background, -border, -mark, -font, -radius, and for notices
 * --kb-{emergency,urgent,notice}-{border,background}, set on the target element. Everything renders in a shadow root: the page's CSS
 * does not reach in, and the widget's CSS does not reach out. */
(() => {
  "use strict";
  const script = document.currentScript || document.querySelector('script[src$="/widget.js"]');
  if (!script) return;
  const origin = new URL(script.src, location.href).origin; // only this host's public API is called
  const data = script.dataset;
  const FACETS = { scarType: "scar_type", procedure: "procedure", sideEffect: "side_effect", cost: "cost" };
  const DELAY_MS = 200; // a pause in typing, not every key, sends a search
  // As-you-type searches are not recorded for the clinic's insights (analytics=false); the one
  // the patient settles on (a longer pause, or a result opened) is asked again and recorded.
  const SETTLE_MS = 2000;
  const results = Math.min(10, Math.max(1, parseInt(data.results, 10) || 5));
  const newTab = data.newTab !== undefined && data.newTab !== "false";

  const CSS = `
:host{display:block}
.kb{all:initial;display:block;position:relative;box-sizing:border-box;font-family:var(--kb-font,system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif);font-size:16px;line-height:1.45;color:var(--kb-text,#1d2329);text-align:left}
.kb *{box-sizing:border-box}
.kb input{display:block;width:100%;margin:0;font:inherit;color:inherit;background:var(--kb-background,#fff);border:1px solid var(--kb-border,#4f5a65);border-radius:var(--kb-radius,6px);padding:.6em .75em;min-height:44px}
.kb input:focus{outline:3px solid var(--kb-accent,#0b5cad);outline-offset:1px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.status{margin:.4em 0 0;font-size:.9em;color:var(--kb-text,#1d2329)}
.status:empty{display:none}
.status button{all:unset;cursor:pointer;color:var(--kb-accent,#0b5cad);text-decoration:underline}
ul{list-style:none;margin:.4em 0 0;padding:0;background:var(--kb-background,#fff);border:1px solid var(--kb-border,#c9d1d9);border-radius:var(--kb-radius,6px)}
ul[hidden]{display:none}
li{display:block;margin:0;padding:.6em .75em;border-top:1px solid var(--kb-border,#c9d1d9);cursor:pointer}
li:first-child{border-top:0}
li[aria-selected=true]{background:rgba(11,92,173,.08);outline:2px solid var(--kb-accent,#0b5cad);outline-offset:-2px}
.title{font-weight:600;color:var(--kb-accent,#0b5cad);text-decoration:underline}
p{margin:.2em 0 0;font-size:.9em}
mark{background:var(--kb-mark,#fff0a8);color:inherit;padding:0 .1em}
.notices:empty{display:none}
.notice{margin:.4em 0 0;padding:.5em .75em;border:2px solid var(--kb-notice-border,#0b5cad);border-left-width:6px;border-radius:var(--kb-radius,6px);background:var(--kb-notice-background,#f2f5f8);color:var(--kb-text,#1d2329)}
.notice.emergency{border-color:var(--kb-emergency-border,#a4161a);background:var(--kb-emergency-background,#fdecea)}
.notice.urgent{border-color:var(--kb-urgent-border,#b45309);background:var(--kb-urgent-background,#fff4e5)}
.notice strong{display:block}`;

  let root, input, status, notices, list;
  let timer = 0;
  let inFlight = null;
  let newest = 0; // number of the newest search; an older answer is never shown
  let active = -1;
  let settleTimer = 0;
  let unrecorded = ""; // the URL of the shown results, until it is recorded
  let searchId = "";

  function mount() {
    let host = data.target ? document.querySelector(data.target) : null;
    if (!host) {
      host = document.createElement("div");
      script.after(host);
    }
    const shadow = host.shadowRoot || host.attachShadow({ mode: "open" });
    const css = CSS + (data.theme === "dark" ? ".kb{--kb-text:#eef2f6;--kb-background:#1d2329;--kb-border:#6b7683;--kb-accent:#8cc4ff;--kb-mark:#6b5a00;--kb-notice-background:#22303d;--kb-emergency-background:#3d1113;--kb-emergency-border:#ff8a8a;--kb-urgent-background:#3a2806;--kb-urgent-border:#f0a75a}" : "");
    const nodes = [];
    // A constructed stylesheet is not an inline <style>, so a host page's strict CSP allows it.
    if (shadow.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      nodes.push(el("style", {}, css));
    }
    root = el("div", { class: "kb", part: "root" });
    const id = `kb-${Math.random().toString(36).slice(2, 8)}`;
    const label = el("label", { class: "vh", for: `${id}-q` }, "Search the clinic's articles");
    input = el("input", {
      id: `${id}-q`, type: "search", role: "combobox", autocomplete: "off", spellcheck: "false",
      "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": `${id}-list`,
      placeholder: data.placeholder || "Search our treatment articles", maxlength: "200",
    });
    status = el("div", { class: "status", role: "status", "aria-live": "polite" });
    notices = el("div", { class: "notices", role: "region", "aria-label": "Important", "aria-live": "polite" });
    list = el("ul", { id: `${id}-list`, role: "listbox", "aria-label": "Articles", hidden: "" });
    root.append(label, input, notices, status, list);
    shadow.replaceChildren(...nodes, root);
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", onKey);
    document.addEventListener("visibilitychange", () => document.hidden && settle());
    list.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
  }

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  }

  function apiUrl(text, asTyped) {
    const params = new URLSearchParams({ q: text, per_page: String(results), analytics: "false" });
    if (asTyped) params.set("correct", "false");
    for (const [option, key] of Object.entries(FACETS)) {
      for (const value of (data[option] || "").split(",")) if (value.trim()) params.append(key, value.trim());
    }
    return `${origin}/api/v1/search?${params}`;
  }

  function search(asTyped) {
    const text = input.value.trim();
    clearTimeout(settleTimer);
    unrecorded = "";
    if (inFlight) inFlight.abort();
    const number = ++newest;
    if (!text) {
      inFlight = null;
      show([]);
      say("");
      notices.replaceChildren();
      return;
    }
    inFlight = new AbortController();
    const url = apiUrl(text, asTyped === true);
    fetch(url, { signal: inFlight.signal, credentials: "omit", headers: { Accept: "application/json" } })
      .then((response) => response.json().then((body) => ({ response, body }), () => ({ response, body: {} })))
      .then(({ response, body }) => {
        if (number !== newest) return;
        if (!response.ok) {
          const message = (body.error && body.error.message) || `the search service answered ${response.status}`;
          console.error(`kb widget: ${message}`);
          notices.replaceChildren();
          say(response.status >= 500 ? "Search is not available right now. Please try again later." : `Search is misconfigured: ${message}`);
          show([]);
          return;
        }
        notices.replaceChildren(...(body.notices || []).map(notice));
        searchId = body.search_id;
        unrecorded = url;
        settleTimer = setTimeout(settle, SETTLE_MS);
        show(body.hits, summary(body, text), body.corrected, text);
      })
      .catch((error) => {
        if (error.name === "AbortError" || number !== newest) return;
        show([]);
        if (!navigator.onLine) return say("You seem to be offline. Check your connection and try again.");
        say("Search could not reach the clinic's articles. Please try again later.");
        explain();
      });
  }

  // The shown search is the patient's: record it (the answer comes from the server's cache).
  function settle() {
    clearTimeout(settleTimer);
    if (unrecorded) fetch(unrecorded.replace("analytics=false", "analytics=true"), { credentials: "omit", keepalive: true }).catch(() => {});
    unrecorded = "";
  }

  /* A failed fetch while online is either the host down or this page's origin not allowed by
   * KB_CORS_ORIGINS; an opaque probe tells them apart for the web developer's console. */
  function explain() {
    fetch(`${origin}/api/v1/facets`, { mode: "no-cors", credentials: "omit" }).then(
      () => console.error(`kb widget: ${origin} refused this page's origin (${location.origin}); add it to KB_CORS_ORIGINS on the knowledge-base server`),
      () => console.error(`kb widget: ${origin} cannot be reached`)
    );
  }

  function say(message) {
    status.textContent = message;
  }

  // How many articles were found, and the query's words no article has.
  function summary(body, text) {
    const missing = (body.unmatched || []).map((word) => `\u201c${word}\u201d`);
    const none = missing.length ? `No article mentions ${missing.length > 1 ? `${missing.slice(0, -1).join(", ")} or ${missing[missing.length - 1]}` : missing[0]}.` : "";
    if (!body.total) return none || `No articles match \u201c${text}\u201d.`;
    return none ? `${none} ${found(body.hits.length, body.total)} These match your other words.` : found(body.hits.length, body.total);
  }

  function notice(item) {
    const box = el("div", { class: `notice ${item.level}`, role: "note" });
    box.append(el("strong", {}, item.title), document.createTextNode(item.text));
    return box;
  }

  function show(hits, message, corrected, typed) {
    active = -1;
    input.removeAttribute("aria-activedescendant");
    list.replaceChildren(...hits.map(option));
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
    if (message === undefined) return;
    if (corrected) {
      // The corrected words were run: say so, and offer the words as typed.
      const instead = el("button", { type: "button" }, typed);
      instead.addEventListener("click", () => {
        input.focus();
        search(true);
      });
      status.replaceChildren(`Showing results for \u201c${corrected}\u201d. ${message} Search instead for `, instead, ".");
    } else {
      say(message);
    }
  }

  function found(shown, total) {
    return shown < total ? `The ${shown} best of ${total} articles.` : `${total} article${total === 1 ? "" : "s"} found.`;
  }

  function option(hit, index) {
    const item = el("li", { id: `${list.id}-${index}`, role: "option", "aria-selected": "false" });
    // An option holds no link (nothing focusable may sit inside one): the option itself opens
    // the article, by click or by Enter on the selected row.
    const url = new URL(hit.url, origin).href;
    const title = el("span", { class: "title", "data-href": url }, hit.title);
    const snippet = el("p");
    snippet.append(...marked(hit.snippet));
    item.append(title, snippet);
    item.addEventListener("click", () => {
      settle();
      // text/plain: a simple request, sent even as the page unloads, with no preflight.
      navigator.sendBeacon(`${origin}/api/v1/events`, JSON.stringify({ type: "click", search_id: searchId, slug: hit.slug, position: index + 1 }));
      if (newTab) window.open(url, "_blank", "noopener");
      else location.assign(url);
    });
    return item;
  }

  /* The snippet is HTML in which only <mark> is markup. It is parsed inert and rebuilt from
   * text nodes and <mark> elements, so nothing else can ever become markup here. */
  function marked(snippet) {
    const parsed = new DOMParser().parseFromString(`<body>${snippet || ""}`, "text/html").body;
    return [...parsed.childNodes].map((node) =>
      node.nodeName === "MARK" ? el("mark", {}, node.textContent) : document.createTextNode(node.textContent)
    );
  }

  function onKey(event) {
    const options = list.querySelectorAll("[role=option]");
    if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault(); // the first Escape closes the list, the next clears the box
        show([]);
      }
      return;
    }
    if (list.hidden || !options.length) {
      if (event.key === "ArrowDown" && input.value.trim()) search(); // reopen what Escape closed
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
      options[active].scrollIntoView({ block: "nearest" });
      input.setAttribute("aria-activedescendant", options[active].id);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      options[active].click();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
