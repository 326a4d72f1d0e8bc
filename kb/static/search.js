// The staff search page, enhanced. Without this script the page is plain forms and links;
// with it, results and facet counts follow typing and ticking without a full reload.
//
// The server stays the only renderer: the script asks for the same URL with the
// X-KB-Partial header and swaps in the two regions it gets back. The URL is the state
// (same parameter names as the API), so back, bookmarks and shared links keep working.
(() => {
  "use strict";

  const form = document.getElementById("search-form");
  if (!form || !window.fetch || !window.AbortController) return;
  document.documentElement.classList.add("js");

  const input = document.getElementById("q");
  const list = document.getElementById("suggestions");
  const REGIONS = ["facets-region", "results-region"];
  const TYPING_DELAY_MS = 250; // results wait for a pause in typing: one request per word, not per key
  const SUGGEST_DELAY_MS = 120;
  // A patient's search counts for the clinic's insights once they settle on it (no more
  // typing for this long, or a result opened); the regions carry what to record (data-record).
  const SETTLE_MS = 2000;

  // -- results ----------------------------------------------------------------------------

  let inFlight = null; // AbortController of the results request under way
  let newest = 0; // number of the newest results request; an older answer is never shown
  let typingTimer = 0;
  let typingEntry = false; // the current history entry was made by typing: replace it, don't stack one per word

  const here = () => location.pathname + location.search;

  function formUrl() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (value !== "" && !(name === "sort" && value === "relevance")) params.append(name, value);
    }
    const query = params.toString();
    return query ? `/?${query}` : "/";
  }

  function load(url, history_mode) {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    const number = ++newest;
    if (history_mode === "push") history.pushState({ kb: true }, "", url);
    if (history_mode === "replace") history.replaceState({ kb: true }, "", url);
    results().setAttribute("aria-busy", "true");
    return fetch(url, { headers: { "X-KB-Partial": "1" }, signal: controller.signal, credentials: "same-origin" })
      .then((response) => response.text()) // an error answer is a message fragment, shown like results
      .then((html) => {
        if (number === newest) swap(html);
      })
      .catch((error) => {
        if (error.name !== "AbortError" && number === newest) showUnreachable();
      })
      .finally(() => {
        if (number === newest) {
          results().removeAttribute("aria-busy");
          inFlight = null;
        }
      });
  }

  const results = () => document.getElementById("results-region");
  const filters = () => form.querySelector("details.filters");

  function swap(html) {
    const fragment = document.createElement("template");
    fragment.innerHTML = html; // our own server's escaped HTML; template content runs no script
    const focusedId = document.activeElement && document.activeElement.id;
    const filtersOpen = filters() ? filters().open : true;
    let swapped = false;
    for (const id of REGIONS) {
      const fresh = fragment.content.getElementById(id);
      const current = document.getElementById(id);
      if (fresh && current) {
        current.replaceWith(fresh);
        swapped = true;
      }
    }
    if (!swapped) results().replaceChildren(fragment.content);
    scheduleRecord();
    if (filters()) filters().open = filtersOpen;
    // The regions were replaced whole; a live region that stays put tells a screen reader what changed.
    const summary = document.getElementById("result-summary") || results().querySelector("[role=alert]");
    document.getElementById("live-status").textContent = summary ? summary.textContent.replace(/\s+/g, " ").trim() : "";
    // A ticked checkbox was replaced by its fresh copy: keep the keyboard where it was.
    if (focusedId && focusedId !== input.id) {
      const again = document.getElementById(focusedId);
      if (again) again.focus();
    }
  }

  function showUnreachable() {
    let message = document.getElementById("unreachable");
    if (!message) {
      message = document.createElement("p");
      message.id = "unreachable";
      message.className = "alert";
      message.setAttribute("role", "alert");
      results().prepend(message);
    }
    message.textContent = "The knowledge base could not be reached. Check the connection; the results below may be out of date.";
  }

  // -- insights: settled searches and opened results, for visitors who are not signed in ---

  let recordTimer = 0;
  let unrecorded = "";

  function scheduleRecord() {
    clearTimeout(recordTimer);
    unrecorded = results().dataset.record || "";
    if (unrecorded) recordTimer = setTimeout(record, SETTLE_MS);
  }

  function record() {
    clearTimeout(recordTimer);
    if (unrecorded) fetch(unrecorded, { credentials: "omit", keepalive: true }).catch(() => {});
    unrecorded = "";
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-position]");
    const searchId = results().dataset.searchId;
    if (!link || !searchId) return;
    record();
    const click = { type: "click", search_id: searchId, slug: link.dataset.slug, position: Number(link.dataset.position) };
    navigator.sendBeacon("/api/v1/events", JSON.stringify(click));
  });
  document.addEventListener("visibilitychange", () => document.hidden && record());

  // Words typed in one go share a history entry; a query the visitor paused on (SETTLE_MS) keeps
  // its own, so that Back after typing a new one returns to it.
  let entryTimer = 0;
  input.addEventListener("input", () => {
    clearTimeout(typingTimer);
    clearTimeout(recordTimer);
    clearTimeout(entryTimer);
    typingTimer = setTimeout(() => {
      const url = formUrl();
      if (url === here()) return;
      load(url, typingEntry ? "replace" : "push");
      typingEntry = true;
      entryTimer = setTimeout(() => { typingEntry = false; }, SETTLE_MS);
    }, TYPING_DELAY_MS);
    scheduleSuggestions();
  });

  form.addEventListener("change", (event) => {
    if (event.target === input) return; // the search box follows typing instead
    typingEntry = false;
    load(formUrl(), "push");
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typingTimer);
    closeSuggestions();
    typingEntry = false;
    const url = formUrl();
    if (url !== here()) load(url, "push");
  });

  // The controls show the URL's state at once, before its results arrive: a box ticked or a sort
  // chosen in between then builds its URL from what the visitor sees, not from the old page.
  function showState(url) {
    const params = new URL(url, location.href).searchParams;
    input.value = params.get("q") || "";
    for (const box of form.querySelectorAll(".facet input[type=checkbox]")) {
      box.checked = params.getAll(box.name).includes(box.value);
    }
    const sort = document.getElementById("sort");
    if (sort) sort.value = params.get("sort") || "relevance";
  }

  // Links that lead to another search (pages, clear, chips, "did you mean", topics) stay in place.
  form.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const target = new URL(link.href, location.href);
    if (target.origin !== location.origin || target.pathname !== "/") return;
    event.preventDefault();
    typingEntry = false;
    showState(target.href);
    load(target.pathname + target.search, "push").then(() => {
      if (link.closest(".pagination")) document.getElementById("result-summary")?.scrollIntoView({ block: "start" });
    });
  });

  window.addEventListener("popstate", () => {
    typingEntry = false;
    clearTimeout(typingTimer);
    closeSuggestions();
    showState(location.href);
    load(here(), "none");
  });


  // -- completions: the WAI-ARIA combobox pattern over /api/v1/suggest --------------------------

  let suggestTimer = 0;
  let suggestController = null;
  let suggestNumber = 0;
  let options = [];
  let active = -1;

  function scheduleSuggestions() {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(fetchSuggestions, SUGGEST_DELAY_MS);
  }

  function fetchSuggestions() {
    const text = input.value.trim();
    if (suggestController) suggestController.abort();
    if (!text) {
      closeSuggestions();
      return;
    }
    suggestController = new AbortController();
    const number = ++suggestNumber;
    fetch(`/api/v1/suggest?q=${encodeURIComponent(text)}`, { signal: suggestController.signal })
      .then((response) => (response.ok ? response.json() : { suggestions: [] }))
      .then((data) => {
        if (number === suggestNumber && document.activeElement === input) showSuggestions(data.suggestions || []);
      })
      .catch(() => {}); // completions are a convenience: the results still follow the typing
  }

  function showSuggestions(suggestions) {
    options = suggestions;
    active = -1;
    list.replaceChildren(
      ...suggestions.map((suggestion, index) => {
        const option = document.createElement("li");
        option.id = `suggestion-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const text = document.createElement("span");
        text.textContent = suggestion.text;
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = { term: "search", title: "article", facet: "filter" }[suggestion.kind] || "";
        option.append(text, kind);
        option.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
        option.addEventListener("click", () => choose(index));
        return option;
      })
    );
    list.hidden = suggestions.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
    input.removeAttribute("aria-activedescendant");
  }

  function closeSuggestions() {
    clearTimeout(suggestTimer);
    if (suggestController) suggestController.abort();
    suggestNumber++;
    list.hidden = true;
    options = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = (index + options.length) % options.length;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === active));
      if (i === active) option.scrollIntoView({ block: "nearest" });
    });
    input.setAttribute("aria-activedescendant", `suggestion-${active}`);
  }

  function choose(index) {
    const suggestion = options[index];
    closeSuggestions();
    if (suggestion.kind === "title" && suggestion.slug) {
      location.assign(`/articles/${encodeURIComponent(suggestion.slug)}`);
      return;
    }
    if (suggestion.kind === "facet") {
      const box = document.getElementById(`f-${suggestion.facet}-${suggestion.value}`);
      if (box) box.checked = true;
      input.value = ""; // the words typed named the filter; they are not a search of their own
    } else {
      input.value = suggestion.text;
    }
    clearTimeout(typingTimer);
    typingEntry = false;
    load(formUrl(), "push");
  }

  input.addEventListener("keydown", (event) => {
    const open = !list.hidden && options.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      highlight(active + 1);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault(); // first Escape closes the list; a second one clears the box as usual
      closeSuggestions();
    }
  });
  input.addEventListener("blur", closeSuggestions);
})();
