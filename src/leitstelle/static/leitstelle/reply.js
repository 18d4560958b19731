// The thread page's reply box: tells colleagues that someone is typing.
// The presence heartbeat (htmx, see thread.html) sends the hidden
// #reply-typing field; this script sets it while the reply is being
// written and asks for an early heartbeat when typing starts.
"use strict";

(() => {
  const QUIET_MS = 10000;
  const EARLY_MS = 5000;
  let quietTimer = null;
  let lastEarly = 0;

  function flag(value) {
    const field = document.getElementById("reply-typing");
    if (field) field.value = value;
  }

  document.addEventListener("input", (event) => {
    if (!event.target.matches("[data-reply-text]")) return;
    flag("1");
    window.clearTimeout(quietTimer);
    quietTimer = window.setTimeout(() => flag(""), QUIET_MS);
    const now = Date.now();
    if (now - lastEarly > EARLY_MS) {
      lastEarly = now;
      document.body.dispatchEvent(new Event("reply-typing"));
    }
  });
})();
