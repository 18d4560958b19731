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

// Banners polled by every page (data-alert): swap only what changed, so a
// screen reader does not hear the same alert every 15 seconds, and sound a
// short tone when more emergencies wait than before.
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (!target || !target.hasAttribute || !target.hasAttribute("data-alert")) return;
  const incoming = (event.detail.serverResponse || "").trim();
  const first = !target.hasAttribute("data-alert-seen");
  target.setAttribute("data-alert-seen", "");
  if (incoming === target.innerHTML.trim()) {
    event.detail.shouldSwap = false;
    return;
  }
  const count = (html) => {
    const match = /data-count="(\d+)"/.exec(html);
    return match ? Number(match[1]) : 0;
  };
  if (!first && count(incoming) > count(target.innerHTML)) {
    target.setAttribute("data-alerted", String(count(incoming)));
    sound();
  }
});

function sound() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try {
    const context = new Context();
    const tone = context.createOscillator();
    const volume = context.createGain();
    tone.frequency.value = 880;
    volume.gain.value = 0.15;
    tone.connect(volume).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.4);
  } catch (error) {
    // Browsers may refuse sound before the first click; the banner stays.
  }
}
