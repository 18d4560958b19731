// Small behaviours of the UI shell; no inline script is allowed by the CSP.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.getAttribute("data-copy"));
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent.trim());
    button.setAttribute("data-copied", "true");
  }
});

// Polls (data-background-poll) are not activity: the server ends a session
// after the idle time however many polls an open tab sends.
document.addEventListener("htmx:configRequest", (event) => {
  const element = event.detail.elt;
  if (element && element.hasAttribute && element.hasAttribute("data-background-poll")) {
    event.detail.headers["X-Leitstelle-Background"] = "1";
  }
});
