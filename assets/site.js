// Florilège: progressive enhancement only; every page works without this file.
"use strict";

// The player: the origin instance's embed is created only when the viewer
// presses play, so that no request leaves Florilège before that.
function setUpPlayers() {
  for (const player of document.querySelectorAll(".player[data-embed]")) {
    const embed = player.dataset.embed;
    const button = player.querySelector("[data-play]");
    if (!embed || !button) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      const url = new URL(embed);
      if (url.protocol !== "https:" && url.protocol !== "http:") return;
      url.searchParams.set("autoplay", "1");
      url.searchParams.set("title", "0");
      url.searchParams.set("warningTitle", "0");
      const frame = document.createElement("iframe");
      frame.src = url.toString();
      frame.title = button.textContent.trim();
      frame.allow = "autoplay; fullscreen; picture-in-picture";
      frame.allowFullscreen = true;
      frame.setAttribute("sandbox", "allow-same-origin allow-scripts allow-popups allow-presentation");
      frame.referrerPolicy = "no-referrer";
      player.replaceChildren(frame);
      player.classList.add("player--playing");
      frame.focus();
    });
  }
}

// Selects that filter a search submit it at once.
function setUpAutoSubmit() {
  for (const select of document.querySelectorAll(".search-form select")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setUpPlayers();
  setUpAutoSubmit();
});
