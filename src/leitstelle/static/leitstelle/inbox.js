// The inbox's keyboard shortcuts, help overlay and live-update banner.
// Loaded by templates/inbox/_shortcuts.html; no inline script (CSP).
//
// Rows are `.inbox-row` elements with `data-item-id` and `data-href`;
// actions are elements with `data-shortcut="<key>"` inside a row or, on
// the thread page, anywhere outside rows. Everything works without this
// file too: it only adds keys and the live banner's polish.
"use strict";

(() => {
  const ROW = ".inbox-row";
  const HELP = "inbox-shortcuts";
  const LIVE = "inbox-live";
  const FRESH = "inbox-row-fresh";
  const CURRENT = "is-current";
  const REPLY = "reply";
  const ACTION_KEYS = new Set(["a", "c", "e", "h", "r", "x"]);
  // Inputs that take no typing: keys there still act as shortcuts.
  const NOT_TYPED = new Set([
    "button", "checkbox", "color", "file", "image", "radio", "range", "reset",
    "submit",
  ]);
  const baseTitle = document.title;
  const lastAnswers = new WeakMap();
  let currentId = null;
  let selected = new Set(); // ids checked when "show" reloads the results

  function isTyping(element) {
    if (!(element instanceof Element)) return false;
    if (element.isContentEditable) return true;
    if (element.matches("textarea, select")) return true;
    return element.tagName === "INPUT" && !NOT_TYPED.has(element.type);
  }

  function rows() {
    return Array.from(document.querySelectorAll(ROW));
  }

  function rowById(id) {
    return id ? rows().find((row) => row.dataset.itemId === id) || null : null;
  }

  function currentRow() {
    const active = document.activeElement;
    const row = active instanceof Element ? active.closest(ROW) : null;
    return row || rowById(currentId);
  }

  function focusRow(row) {
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    for (const other of rows()) other.classList.toggle(CURRENT, other === row);
    currentId = row.dataset.itemId || null;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return false;
    const index = all.indexOf(currentRow());
    let next;
    if (index < 0) next = step > 0 ? 0 : all.length - 1;
    else next = Math.min(Math.max(index + step, 0), all.length - 1);
    focusRow(all[next]);
    return true;
  }

  function open(row) {
    const href = row && row.dataset.href;
    if (!href) return false;
    window.location.assign(href);
    return true;
  }

  function usable(element) {
    return !element.disabled && !element.closest("[hidden], [inert]");
  }

  // The action for `key`: inside the current row if there is one,
  // otherwise on the page (the thread) but never inside another row.
  function actionFor(key) {
    const selector = `[data-shortcut="${key}"]`;
    const row = currentRow();
    const candidates = row
      ? Array.from(row.querySelectorAll(selector))
      : Array.from(document.querySelectorAll(selector)).filter(
          (element) => !element.closest(ROW),
        );
    return candidates.find(usable) || null;
  }

  function act(key) {
    const target = actionFor(key);
    if (!target && key === "r") return replyInThread(currentRow());
    if (!target) return false;
    const closed = target.closest("details:not([open])");
    if (closed) closed.open = true;
    if (isTyping(target)) {
      target.focus();
      target.scrollIntoView({ block: "nearest" });
    } else {
      target.click();
    }
    return true;
  }

  // "r" on a list row: open its thread with the reply box focused.
  function replyInThread(row) {
    const href = row && row.dataset.href;
    if (!href) return false;
    window.location.assign(`${href}#${REPLY}`);
    return true;
  }

  function focusReply() {
    const box = actionFor("r");
    if (box && isTyping(box)) box.focus();
  }

  function help() {
    return document.getElementById(HELP);
  }

  function toggleHelp() {
    const dialog = help();
    if (!dialog) return false;
    if (dialog.open) dialog.close();
    else dialog.showModal();
    return true;
  }

  function focusSearch() {
    const field = document.querySelector(".inbox-search input, input[name='q']");
    if (!field) return false;
    field.focus();
    field.select();
    return true;
  }

  function showNew() {
    const link = document.querySelector(`#${LIVE} [data-live-show]`);
    if (!link) return false;
    link.click();
    return true;
  }

  function handle(event) {
    const key = event.key;
    if (key === "?") return toggleHelp();
    if (key === "j") return move(1);
    if (key === "k") return move(-1);
    if (key === "o") return open(currentRow());
    if (key === "Enter") {
      // Only on the row itself: Enter on a link or button inside keeps
      // its own meaning.
      const target = event.target;
      return target instanceof Element && target.matches(ROW) && open(target);
    }
    if (key === "/") return focusSearch();
    if (key === "n") return showNew();
    if (ACTION_KEYS.has(key)) return act(key);
    return false;
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const dialog = help();
    if (dialog && dialog.open) {
      // The dialog closes itself on Esc; "?" closes it too.
      if (event.key === "?") {
        dialog.close();
        event.preventDefault();
      }
      return;
    }
    if (document.querySelector("dialog[open]")) return;
    if (isTyping(event.target)) return;
    if (handle(event)) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element)) return;
    if (event.target.closest("[data-shortcuts-open]")) {
      toggleHelp();
      return;
    }
    const row = event.target.closest(ROW);
    if (row) {
      currentId = row.dataset.itemId || null;
      for (const other of rows()) other.classList.toggle(CURRENT, other === row);
    }
  });

  // Live banner: no polling while the tab is in the background, one poll
  // as soon as it is back; the count also goes into the window title.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const source = event.detail.elt;
    if (source.id === LIVE && document.hidden) event.preventDefault();
    if (source.matches("[data-live-show]")) selected = selectedIds();
  });

  document.addEventListener("visibilitychange", () => {
    const live = document.getElementById(LIVE);
    if (document.hidden || !live || !window.htmx) return;
    window.htmx.trigger(live, "inbox-refresh");
  });

  document.addEventListener("htmx:beforeSwap", (event) => {
    const live = event.detail.target;
    if (!live || live.id !== LIVE) return;
    // A logged-out session answers with the login page: keep the banner.
    const expected = new URL(live.getAttribute("hx-get"), location.href);
    const answered = event.detail.xhr.responseURL;
    if (answered && new URL(answered).pathname !== expected.pathname) {
      event.detail.shouldSwap = false;
      return;
    }
    // The same news again: leave the region alone, or a screen reader
    // would announce it again every ten seconds.
    if (lastAnswers.get(live) === event.detail.serverResponse) {
      event.detail.shouldSwap = false;
      return;
    }
    lastAnswers.set(live, event.detail.serverResponse);
  });

  function updateTitle() {
    const banner = document.querySelector(`#${LIVE} [data-count]`);
    const count = banner ? banner.dataset.count : "";
    document.title = count ? `(${count}) ${baseTitle}` : baseTitle;
  }

  function checkbox(row) {
    return row.querySelector("input[type=checkbox][data-shortcut='x']");
  }

  function selectedIds() {
    return new Set(
      rows()
        .filter((row) => checkbox(row) && checkbox(row).checked)
        .map((row) => row.dataset.itemId),
    );
  }

  // After "show": keep the selection, mark the rows that arrived and put
  // the cursor on the newest of them. The link sits in the replaced
  // region, still readable.
  function showFresh(link) {
    for (const row of rows()) {
      const box = checkbox(row);
      if (box && selected.has(row.dataset.itemId)) box.checked = true;
    }
    selected = new Set();
    const banner = link.closest("[data-new-ids]");
    const ids = new Set(banner ? banner.dataset.newIds.split(",") : []);
    const fresh = rows().filter((row) => ids.has(row.dataset.itemId));
    for (const row of fresh) row.classList.add(FRESH);
    const target = fresh[0] || rows()[0];
    if (target) focusRow(target);
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    updateTitle();
    const config = event.detail.requestConfig;
    const source = config && config.elt;
    if (!(source instanceof Element)) return;
    if (source.matches("[data-live-show]")) {
      showFresh(source);
      return;
    }
    // A row action (a, e, c) swaps its own row: keep the keyboard cursor
    // on the new one. Other swaps (the live poll, filters) leave focus be.
    const current = rowById(currentId);
    if (!current) return;
    current.classList.add(CURRENT);
    const active = document.activeElement;
    if (source.closest(ROW) && (!active || active === document.body)) {
      focusRow(current);
    }
  });

  function start() {
    for (const hint of document.querySelectorAll("[data-shortcuts-hint]")) {
      hint.hidden = false;
    }
    // After the browser has scrolled to the fragment, which moves focus.
    if (location.hash === `#${REPLY}`) window.addEventListener("load", focusReply);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
