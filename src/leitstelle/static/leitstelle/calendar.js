// Calendar drag and drop: drop a post on a day to move it there, same time.
// The move goes through the hidden #calendar-move form (htmx posts it and
// swaps the calendar); each post also links to a form for keyboard users.
"use strict";

(() => {
  let dragged = null;

  const dayOf = (event) => event.target.closest && event.target.closest("#calendar [data-day]");

  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest && event.target.closest("[data-post]");
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-post"));
    item.classList.add("is-dragging");
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    document.querySelectorAll(".is-drop-target").forEach((cell) => {
      cell.classList.remove("is-drop-target");
    });
  });

  document.addEventListener("dragover", (event) => {
    const day = dayOf(event);
    if (!day || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    day.classList.add("is-drop-target");
  });

  document.addEventListener("dragleave", (event) => {
    const day = dayOf(event);
    if (day && !day.contains(event.relatedTarget)) day.classList.remove("is-drop-target");
  });

  document.addEventListener("drop", (event) => {
    const day = dayOf(event);
    const form = document.getElementById("calendar-move");
    if (!day || !dragged || !form) return;
    event.preventDefault();
    day.classList.remove("is-drop-target");
    if (dragged.closest("[data-day]") === day) return;
    form.elements.post.value = dragged.getAttribute("data-post");
    form.elements.day.value = day.getAttribute("data-day");
    day.setAttribute("aria-busy", "true");
    form.requestSubmit();
  });

  // A failed move (no connection, logged out) swaps nothing: say so.
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.target;
    if (form.id !== "calendar-move" || event.detail.successful) return;
    document.querySelectorAll("#calendar [aria-busy]").forEach((cell) => {
      cell.removeAttribute("aria-busy");
    });
    const region = document.querySelector("#calendar .calendar-messages");
    if (!region) return;
    const message = document.createElement("p");
    message.className = "message message-error";
    message.textContent = form.getAttribute("data-error");
    region.replaceChildren(message);
  });
})();
