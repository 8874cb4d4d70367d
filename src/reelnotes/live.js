// reelnotes serve: reload the page after a rebuild, swap stylesheets after a CSS-only change,
// and overlay build errors. Injected by the dev server only; never part of `reelnotes build`.
(() => {
  "use strict";
  const script = document.currentScript;
  let epoch = Number(script.dataset.epoch);
  const OVERLAY = "reelnotes-overlay";

  function showOverlay(errors) {
    hideOverlay();
    const box = document.createElement("div");
    box.id = OVERLAY;
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-label", "Build failed");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
      "background:rgba(20,20,20,.94);color:#fff;font:15px/1.5 ui-monospace,monospace;" +
      "padding:2rem;white-space:pre-wrap";
    const title = document.createElement("h2");
    title.textContent = "reelnotes: the site could not be rebuilt";
    title.style.cssText = "color:#ff8a80;font:bold 1.3rem system-ui,sans-serif;margin:0 0 1rem";
    box.append(title);
    for (const text of errors) {
      const line = document.createElement("pre");
      line.className = "reelnotes-error";
      line.textContent = text;  // never innerHTML: messages quote the user's files
      line.style.cssText = "margin:0 0 .75rem;white-space:pre-wrap;font:inherit";
      box.append(line);
    }
    const note = document.createElement("p");
    note.textContent = "Still serving the last good build. Save a fix and this page reloads.";
    note.style.cssText = "opacity:.75;font-family:system-ui,sans-serif";
    box.append(note);
    document.body.append(box);
  }

  function hideOverlay() {
    const old = document.getElementById(OVERLAY);
    if (old) old.remove();
  }

  function swapStylesheets(version) {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("reelnotes", String(version));
      link.href = url.href;
    }
  }

  const source = new EventSource(script.dataset.events);
  source.addEventListener("open", () => {
    document.documentElement.dataset.reelnotesLive = "open";
  });
  source.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    if (state.errors.length) {
      showOverlay(state.errors);
      return;
    }
    hideOverlay();
    if (state.epoch === epoch) return;
    if (state.full <= epoch) {
      swapStylesheets(state.epoch);
      epoch = state.epoch;
      return;
    }
    source.close();
    location.reload();
  });
})();
