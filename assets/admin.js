// Florilège back office: progressive enhancement only; every page works without this file.
"use strict";

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function csrfOf(element) {
  const form = element.closest("form");
  const field = form && form.querySelector("input[name=csrf]");
  return field ? field.value : "";
}

// The Markdown body's preview follows the text as it is typed (rendered by
// the server, exactly as on the public page).
function setUpPreviews() {
  for (const area of document.querySelectorAll("textarea[data-preview]")) {
    const target = document.getElementById(area.dataset.preview);
    if (!target) continue;
    const update = debounce(async () => {
      const body = new URLSearchParams({ csrf: csrfOf(area), body: area.value });
      const response = await fetch("/admin/preview", { method: "POST", body, credentials: "same-origin" });
      if (response.ok) target.innerHTML = await response.text();
    }, 300);
    area.addEventListener("input", update);
  }
}

// The search inside the editor answers as one types: the page is fetched
// with the query and its results replace the current ones.
function setUpLiveSearch() {
  for (const form of document.querySelectorAll("form[data-live-search]")) {
    const target = document.getElementById(form.dataset.liveSearch);
    const input = form.querySelector("input[type=search]");
    if (!target || !input) continue;
    const update = debounce(async () => {
      const url = new URL(form.action, location.href);
      url.searchParams.set("q", input.value);
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById(target.id);
      if (fresh) target.replaceChildren(...fresh.childNodes);
      history.replaceState(null, "", url);
    }, 250);
    input.addEventListener("input", update);
  }
}

// Destructive buttons ask first.
function setUpConfirmations() {
  for (const button of document.querySelectorAll("[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
}

// A chosen blocklist file fills the text area.
function setUpFileFill() {
  for (const input of document.querySelectorAll("input[type=file][data-fill]")) {
    const target = document.getElementById(input.dataset.fill);
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (file && target) target.value = await file.text();
    });
  }
}

// Items can be dragged to a new place; the move is sent as the same
// "up"/"down" steps the buttons use, then the page reloads.
function setUpDragAndDrop() {
  const list = document.querySelector(".admin-items");
  if (!list) return;
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("[data-item]");
    if (dragged) event.dataTransfer.effectAllowed = "move";
  });
  list.addEventListener("dragover", (event) => event.preventDefault());
  list.addEventListener("drop", async (event) => {
    event.preventDefault();
    const target = event.target.closest("[data-item]");
    if (!dragged || !target || dragged === target) return;
    const items = [...list.querySelectorAll("[data-item]")];
    const from = items.indexOf(dragged);
    const to = items.indexOf(target);
    const action = to < from ? "up" : "down";
    const form = dragged.querySelector("form.button-row");
    if (!form) return;
    for (let step = 0; step < Math.abs(to - from); step += 1) {
      const body = new URLSearchParams({ csrf: csrfOf(form.querySelector("button")), action });
      await fetch(form.action, { method: "POST", body, credentials: "same-origin", redirect: "manual" });
    }
    location.reload();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpPreviews();
  setUpLiveSearch();
  setUpConfirmations();
  setUpFileFill();
  setUpDragAndDrop();
});
