// Inbox list: "select all on this page" and the count of selected rows.
// The list works without it; the results are swapped by htmx, so every
// handler is delegated from the document.
"use strict";

(function () {
  const rows = () => Array.from(document.querySelectorAll("input.row-select"));

  function update() {
    const all = document.querySelector("[data-select-all]");
    if (!all) return;
    const boxes = rows();
    const checked = boxes.filter((box) => box.checked).length;
    all.checked = boxes.length > 0 && checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
    const count = document.querySelector("[data-selected-count]");
    if (count) {
      const template = count.closest("form")?.getAttribute("data-selected-label") || "{n}";
      count.textContent = checked ? template.replace("{n}", String(checked)) : "";
    }
  }

  function reveal() {
    document.querySelectorAll(".bulk-select-all[hidden]").forEach((group) => {
      group.hidden = false;
    });
    update();
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-select-all]")) {
      rows().forEach((box) => {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-all], input.row-select")) update();
  });
  // Keyboard "x" (inbox.js) toggles a box by a click, which fires "change".
  document.addEventListener("htmx:afterSettle", reveal);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
})();

// Service-level timers count down between reloads, in the page's language
// (the texts come from #sla-labels; the server rendered the first value).
(function () {
  const MINUTE = 60 * 1000;
  const SOON = 30 * MINUTE;

  function duration(ms, labels) {
    const minutes = Math.floor(ms / MINUTE);
    if (minutes < 60) return labels.min.replace("{n}", String(Math.max(minutes, 0)));
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return labels.hour.replace("{n}", String(hours));
    const days = Math.floor(hours / 24);
    return (days === 1 ? labels.day : labels.days).replace("{n}", String(days));
  }

  function tick() {
    const source = document.getElementById("sla-labels");
    if (!source) return;
    const labels = source.dataset;
    const now = Date.now();
    document.querySelectorAll(".sla[data-due]").forEach((timer) => {
      const due = Date.parse(timer.dataset.due);
      if (Number.isNaN(due)) return;
      const left = due - now;
      const state = left < 0 ? "overdue" : left <= SOON ? "soon" : "ok";
      const text = left < 0
        ? labels.overdue.replace("{time}", duration(-left, labels))
        : labels.due.replace("{time}", duration(left, labels));
      timer.textContent = text;
      timer.classList.remove("sla-ok", "sla-soon", "sla-overdue");
      timer.classList.add(`sla-${state}`);
    });
  }

  window.setInterval(tick, 30 * 1000);
  document.addEventListener("htmx:afterSettle", tick);
})();
