// The article editor, enhanced: the address follows the title until it is typed by hand, the
// first problem is in view after a refused save, and leaving with unsaved changes asks first.
// Without script the form works the same (the server proposes the address from the title).
(function () {
  "use strict";
  var form = document.querySelector("form[data-editor]");
  if (!form) return;

  var title = form.querySelector("#title");
  var slug = form.querySelector("#slug");
  if (form.hasAttribute("data-new") && title && slug) {
    var typedByHand = slug.value !== "" && slug.value !== toSlug(title.value);
    slug.addEventListener("input", function () { typedByHand = slug.value !== ""; });
    title.addEventListener("input", function () {
      if (!typedByHand) slug.value = toSlug(title.value);
    });
  }

  // As the server makes it (Markdown's slugify): accents dropped, lowercase, hyphens between words.
  function toSlug(text) {
    return text.normalize("NFKD").replace(/[^\x00-\x7f]/g, "").replace(/[^\w\s-]/g, "")
      .trim().toLowerCase().replace(/[-\s_]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
  }

  // After a Preview the page opens at the preview; problems to correct come first.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    window.addEventListener("load", function () { summary.focus(); });
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.querySelector(link.getAttribute("href"));
      var control = field && field.querySelector("input:not([type=hidden]), textarea, select");
      if (control) {
        event.preventDefault();
        control.focus();
      }
    });
  }

  // A form sent back by the server (a preview, problems, a conflict) holds text not yet saved.
  var changed = form.hasAttribute("data-unsaved");
  form.addEventListener("input", function () { changed = true; });
  form.addEventListener("submit", function () { changed = false; });
  window.addEventListener("beforeunload", function (event) {
    if (changed) event.preventDefault();
  });
})();
