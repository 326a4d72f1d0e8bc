/* Clinic knowledge-base search widget. Embed with:
 *   <div id="kb-search"></div>
 *   <script src="https://KB-HOST/widget.js" data-target="#kb-search" defer></script>
 * Options (data- attributes on the script tag): data-placeholder, data-results (1-10), data-theme
 * (dark), data-open (page: open the article page rather than the reader), data-new-tab (with
 * data-open=page), data-scar-type / data-procedure / data-side-effect / data-cost (comma lists).
 * Theme: --kb-accent, -text, -muted, -background, -border, -field-border, -selected, -mark, -font,
 * -radius, -reader-height, and for notices --kb-{emergency,urgent,notice}-{border,background},
 * set on the target element; every colour drawn comes from them, in both themes. Everything
 * renders in a shadow root: the page's CSS does not reach in, and the widget's CSS does not reach out.
 * A chosen result opens in the widget's reader: the host page never navigates. */
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
  const openPage = data.open === "page";
  const REASONS = { not_answered: "It did not answer my question", hard_to_understand: "It was hard to understand", out_of_date: "It looks out of date", other: "Something else" };

  // Every colour is a --kb-* property with a default per theme (LIGHT, DARK): a clinic's own
  // value wins in either theme.
  const LIGHT = { accent: "#0b5cad", text: "#1d2329", muted: "#4f5a65", background: "#fff", border: "#c9d1d9", "field-border": "#4f5a65", selected: "#eaf1f9", mark: "#fff0a8", "notice-border": "#0b5cad", "notice-background": "#f2f5f8", "emergency-border": "#a4161a", "emergency-background": "#fdecea", "urgent-border": "#b45309", "urgent-background": "#fff4e5" };
  const DARK = { accent: "#8cc4ff", text: "#eef2f6", muted: "#b8c2cc", background: "#1d2329", border: "#6b7683", "field-border": "#8b96a3", selected: "#2a3a4c", mark: "#6b5a00", "notice-border": "#8cc4ff", "notice-background": "#22303d", "emergency-border": "#ff8a8a", "emergency-background": "#3d1113", "urgent-border": "#f0a75a", "urgent-background": "#3a2806" };
  const palette = (colours) => Object.entries(colours).map(([name, value]) => `--${name}:var(--kb-${name},${value});`).join("");
  const CSS = `
:host{display:block}
.kb{all:initial;display:block;position:relative;box-sizing:border-box;font-family:var(--kb-font,system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif);font-size:16px;line-height:1.45;color:var(--text);text-align:left}
.kb *{box-sizing:border-box}
.kb input{display:block;width:100%;margin:0;font:inherit;color:inherit;background:var(--background);border:1px solid var(--field-border);border-radius:var(--kb-radius,6px);padding:.6em .75em;min-height:44px}
.kb input::-webkit-search-cancel-button{-webkit-appearance:none;appearance:none;width:1em;height:1em;cursor:pointer;background:var(--accent);clip-path:polygon(20% 10%,50% 40%,80% 10%,90% 20%,60% 50%,90% 80%,80% 90%,50% 60%,20% 90%,10% 80%,40% 50%,10% 20%)}
.kb :focus-visible{outline:3px solid var(--accent);outline-offset:1px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.status{margin:.4em 0 0;font-size:.9em}
.status:empty{display:none}
.status button{all:unset;cursor:pointer;color:var(--accent);text-decoration:underline}
ul{list-style:none;margin:.4em 0 0;padding:0;background:var(--background);border:1px solid var(--border);border-radius:var(--kb-radius,6px)}
[hidden]{display:none!important}
li{display:block;margin:0;padding:.6em .75em;border-top:1px solid var(--border);cursor:pointer}
li:first-child{border-top:0}
li[aria-selected=true]{background:var(--selected);outline:2px solid var(--accent);outline-offset:-2px}
.title{font-weight:600;color:var(--accent);text-decoration:underline}
p{margin:.2em 0 0;font-size:.9em}
mark{background:var(--mark);color:inherit;padding:0 .1em}
.notices:empty{display:none}
.notice{margin:.4em 0 0;padding:.5em .75em;border:2px solid var(--notice-border);border-left-width:6px;border-radius:var(--kb-radius,6px);background:var(--notice-background)}
.notice.emergency{border-color:var(--emergency-border);background:var(--emergency-background)}
.notice.urgent{border-color:var(--urgent-border);background:var(--urgent-background)}
.notice strong{display:block}
.kb button.b{font:inherit;font-size:.9em;color:var(--accent);background:var(--background);border:1px solid var(--accent);border-radius:var(--kb-radius,6px);padding:.35em .8em;min-height:44px;margin:.4em .4em 0 0;cursor:pointer}
.reader{margin:.4em 0 0;padding:.25em .9em .9em;background:var(--background);border:1px solid var(--border);border-radius:var(--kb-radius,6px);max-height:var(--kb-reader-height,70vh);overflow:auto}
.reader h2{font-size:1.3em;margin:.4em 0 .1em;line-height:1.25}
.reader>h2:focus{outline:0}
.reader h3,.reader h4,.reader h5,.reader h6{font-size:1.05em;margin:1em 0 .2em}
.reader .meta{color:var(--muted)}
.reader .body p,.reader li{font-size:1em;margin:.4em 0}
.reader li{display:list-item;padding:0;border:0;cursor:auto}
.reader ul,.reader ol{border:0;margin:.4em 0;padding-left:1.4em;list-style:disc}
.reader a{color:var(--accent)}
.reader .table-scroll{overflow-x:auto;margin:.5em 0}
.reader table{border-collapse:collapse;font-size:.9em}
.reader th,.reader td{border:1px solid var(--border);padding:.3em .5em;text-align:left;vertical-align:top}
.reader fieldset{border:0;border-top:1px solid var(--border);margin:1em 0 0;padding:.6em 0 0}
.reader legend{padding:0;font-weight:600}`;

  let root, input, status, notices, list, more, reader, announce;
  let shown = null; // the search whose results are listed: {text, asTyped, page, total, hits}
  let chosen = -1; // the result the reader was opened from
  let listTop = 0;
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
    const css = `${CSS}.kb{${palette(data.theme === "dark" ? DARK : LIGHT)}}`;
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
    more = el("button", { type: "button", class: "b", hidden: "" }, "More results");
    more.addEventListener("click", () => search(shown.asTyped, shown.page + 1));
    reader = el("section", { class: "reader", "aria-label": "Article", hidden: "" });
    reader.addEventListener("keydown", (event) => event.key === "Escape" && back());
    announce = el("div", { class: "vh", "aria-live": "polite" }); // what the reader did, for screen readers
    root.append(label, input, notices, status, list, more, reader, announce);
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

  function apiUrl(text, asTyped, page) {
    const params = new URLSearchParams({ q: text, per_page: String(results), page: String(page), analytics: "false" });
    if (asTyped) params.set("correct", "false");
    for (const [option, key] of Object.entries(FACETS)) {
      for (const value of (data[option] || "").split(",")) if (value.trim()) params.append(key, value.trim());
    }
    return `${origin}/api/v1/search?${params}`;
  }

  // A new search (page 1), or the next page of the listed one, added below it.
  function search(asTyped, page = 1) {
    const text = page > 1 ? shown.text : input.value.trim();
    asTyped = asTyped === true;
    closeReader();
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
    const url = apiUrl(text, asTyped, page);
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
        searchId = body.search_id;
        if (page > 1) return showMore(body);
        notices.replaceChildren(...(body.notices || []).map(notice));
        unrecorded = url;
        settleTimer = setTimeout(settle, SETTLE_MS);
        shown = { text, asTyped, page: 1, total: body.total, hits: body.hits };
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
    if (!body.total) return none ? `${none} You can ask the clinic about it.` : `No articles match \u201c${text}\u201d.`;
    return none ? `${none} ${found(body.hits.length, body.total)} These match your other words.` : found(body.hits.length, body.total);
  }

  function notice(item) {
    const box = el("div", { class: `notice ${item.level}`, role: "note" });
    box.append(el("strong", {}, item.title), document.createTextNode(item.text));
    if (item.slug) {
      // The article behind the notice opens in the reader, as on the search page's "Read more".
      const more = el("button", { type: "button", class: "b" }, "Read more");
      more.addEventListener("click", () => read(item.slug));
      box.append(el("br"), more);
    }
    return box;
  }

  function show(hits, message, corrected, typed) {
    active = -1;
    input.removeAttribute("aria-activedescendant");
    list.replaceChildren(...hits.map(option));
    list.hidden = hits.length === 0;
    more.hidden = list.hidden || !shown || hits.length >= shown.total;
    input.setAttribute("aria-expanded", String(!list.hidden));
    if (message === undefined) return;
    if (corrected) {
      // The corrected words were run: say so, and offer the words as typed.
      const instead = el("button", { type: "button" }, typed);
      instead.addEventListener("click", () => {
        input.focus();
        search(true);
      });
      const ran = hits.length ? "Showing results for" : "Searched for";
      status.replaceChildren(`${ran} \u201c${corrected}\u201d. ${message} Search instead for `, instead, ".");
    } else {
      say(message);
    }
  }

  function found(count, total) {
    return count < total ? `The ${count} best of ${total} articles.` : `${total} article${total === 1 ? "" : "s"} found.`;
  }

  function showMore(body) {
    const start = shown.hits.length;
    shown.page += 1;
    shown.hits = shown.hits.concat(body.hits);
    list.append(...body.hits.map((hit, i) => option(hit, start + i)));
    more.hidden = shown.hits.length >= shown.total;
    say(`${shown.hits.length} of ${shown.total} articles shown.`);
    announce.textContent = `${body.hits.length} more articles listed.`;
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
      beacon({ type: "click", search_id: searchId, slug: hit.slug, position: index + 1 });
      if (!openPage) return read(hit.slug, index);
      if (newTab) window.open(url, "_blank", "noopener");
      else location.assign(url);
    });
    return item;
  }

  // text/plain: a simple request, sent even as the page unloads, with no preflight.
  function beacon(event) {
    navigator.sendBeacon(`${origin}/api/v1/events`, JSON.stringify(event));
  }

  // The article in the widget's own reader; the results stay as they were behind it.
  function read(slug, index) {
    if (index !== undefined) {
      chosen = index;
      listTop = list.scrollTop;
    }
    fetch(`${origin}/api/v1/articles/${encodeURIComponent(slug)}`, { credentials: "omit", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((article) => {
        const heading = el("h2", { tabindex: "-1" }, article.title);
        const close = el("button", { type: "button", class: "b" }, "\u2190 Back to results");
        close.addEventListener("click", back);
        const updated = new Date(`${article.updated}T00:00:00`).toLocaleDateString(undefined, { day: "numeric", month: "long", year: "numeric" });
        const body = el("div", { class: "body" });
        // Sanitized by the knowledge base (nh3) and parsed inert; links to articles stay in the reader.
        body.append(...new DOMParser().parseFromString(article.html, "text/html").body.childNodes);
        for (const link of body.querySelectorAll("a[href]")) keepInReader(link);
        // The article's own headings sit under its title (h2 here).
        for (const heading of body.querySelectorAll("h2,h3,h4,h5")) {
          const lower = el(`h${Number(heading.tagName[1]) + 1}`);
          lower.append(...heading.childNodes);
          heading.replaceWith(lower);
        }
        reader.replaceChildren(close, heading, el("p", { class: "meta" }, `Updated ${updated}`), body, helpful(article.slug));
        for (const node of [list, more, notices, status]) node.hidden = true;
        reader.hidden = false;
        reader.scrollTop = 0;
        heading.focus();
        announce.textContent = `Showing the article ${article.title}. Escape returns to the results.`;
      })
      .catch(() => say("This article could not be opened. Please try again later."));
  }

  function keepInReader(link) {
    const target = new URL(link.getAttribute("href"), `${origin}/articles/`);
    const slug = target.origin === origin && target.pathname.match(/^\/articles\/([a-z0-9-]+)$/);
    link.href = target.href;
    if (!slug) {
      link.target = "_blank";
      link.rel = "noopener";
      return;
    }
    link.addEventListener("click", (event) => {
      event.preventDefault();
      read(slug[1]);
    });
  }

  // "Was this helpful?": one answer per article shown, sent once.
  function helpful(slug) {
    const box = el("fieldset");
    const send = (answer, reason) => {
      beacon(reason ? { type: "feedback", slug, helpful: answer, reason } : { type: "feedback", slug, helpful: answer });
      box.replaceChildren(el("p", { role: "status" }, "Thank you for your answer."));
    };
    const choice = (text, act) => {
      const button = el("button", { type: "button", class: "b" }, text);
      button.addEventListener("click", act);
      return button;
    };
    box.append(el("legend", {}, "Was this helpful?"), choice("Yes", () => send(true)), choice("No", () => {
      box.replaceChildren(el("legend", {}, "What was wrong?"), ...Object.entries(REASONS).map(([reason, text]) => choice(text, () => send(false, reason))));
      box.querySelector("button").focus();
    }));
    return box;
  }

  function closeReader() {
    if (reader.hidden) return false;
    reader.hidden = true;
    reader.replaceChildren();
    for (const node of [notices, status]) node.hidden = false;
    list.hidden = !list.children.length;
    more.hidden = list.hidden || !shown || shown.hits.length >= shown.total;
    return true;
  }

  // Back to the same results, scrolled as they were, the chosen one selected.
  function back() {
    if (!closeReader()) return;
    list.scrollTop = listTop;
    input.focus();
    const options = list.querySelectorAll("[role=option]");
    if (options[chosen]) select(options, chosen);
    announce.textContent = "Back to the results.";
  }

  function select(options, index) {
    active = index;
    options.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
    options[active].scrollIntoView({ block: "nearest" });
    input.setAttribute("aria-activedescendant", options[active].id);
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
      if (!reader.hidden) {
        event.preventDefault();
        return back();
      }
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
      select(options, (active + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      options[active].click();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
