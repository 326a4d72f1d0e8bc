/* Copy buttons: <button data-copy="#element"> copies that element's text. Shown only where the
 * clipboard can be written (a secure context); otherwise the text stays there to select. */
(() => {
  "use strict";
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const status = button.parentElement.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(document.querySelector(button.dataset.copy).textContent).then(
        () => { status.textContent = "Copied."; },
        () => { status.textContent = "Copying was refused: select the snippet and copy it yourself."; }
      );
    });
  }
})();
