// "Was this helpful?" on public article pages: one answer per visit, sent as a beacon to the
// events endpoint (no cookie is read, nothing about the visitor is sent). Without script the
// question stays hidden: there is nothing a plain form could send.
(() => {
  "use strict";
  const box = document.getElementById("feedback");
  if (!box || !navigator.sendBeacon) return;
  const reasons = box.querySelector(".feedback-reasons");
  const thanks = box.querySelector(".feedback-thanks");
  box.hidden = false;

  function send(helpful, reason) {
    const event = { type: "feedback", slug: box.dataset.slug, helpful };
    if (reason) event.reason = reason;
    navigator.sendBeacon("/api/v1/events", JSON.stringify(event));
    box.querySelector(".feedback-answers").hidden = true;
    reasons.hidden = true;
    thanks.textContent = "Thank you: your answer helps the clinic improve this article.";
  }

  box.querySelector("[data-helpful=true]").addEventListener("click", () => send(true));
  box.querySelector("[data-helpful=false]").addEventListener("click", () => {
    reasons.hidden = false;
    reasons.querySelector("input").focus();
  });
  box.querySelector(".feedback-send").addEventListener("click", () => {
    const chosen = reasons.querySelector("input:checked");
    send(false, chosen ? chosen.value : null);
  });
})();
