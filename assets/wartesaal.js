// wartesaal waiting page: polls the status with jitter and moves on when it is the visitor's
// turn. Without JavaScript the page reloads itself by a <noscript> meta refresh instead.
(function () {
  "use strict";
  var main = document.getElementById("ws");
  if (!main || !window.fetch) { return; }
  var room = main.getAttribute("data-room");
  var shownState = main.getAttribute("data-state") || "open";
  var shownMessage = main.getAttribute("data-message") || "";
  var lang = main.getAttribute("data-lang") === "en" ? "en" : "de";
  var T = {
    de: { sep: ".", one: "Vor Ihnen ist noch 1 Person.", many: "Vor Ihnen sind noch {} Personen.",
          next: "Sie sind als Nächstes an der Reihe.", est: "Geschätzte Wartezeit: {}.",
          opens: "Öffnung in {}.", here: "Schon da: {}", one_p: "1 Person", many_p: "{} Personen" },
    en: { sep: ",", one: "There is 1 person ahead of you.", many: "There are {} people ahead of you.",
          next: "You are next.", est: "Estimated wait: {}.",
          opens: "Opening in {}.", here: "Here already: {}", one_p: "1 person", many_p: "{} people" }
  }[lang];
  function num(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, T.sep); }
  function fill(s, v) { return s.replace("{}", v); }
  function set(id, text) {
    var el = document.getElementById(id);
    if (el && el.textContent !== text) { el.textContent = text; }
  }
  function schedule(seconds) {
    var base = Math.max(2, seconds || 10);
    // +-20% jitter so that many pages do not poll in lockstep.
    var delay = base * 1000 * (0.8 + Math.random() * 0.4);
    window.setTimeout(poll, delay);
  }
  function poll() {
    fetch("/.wartesaal/status?room=" + encodeURIComponent(room), {
      credentials: "same-origin", cache: "no-store",
      headers: { "Accept": "application/json", "Accept-Language": lang }
    }).then(function (r) { return r.json(); }).then(function (s) {
      if (s.state !== shownState || (s.message || "") !== shownMessage) {
        // The operator paused, closed, reopened or posted a message: show the new page.
        window.location.replace(window.location.href);
        return;
      }
      if (s.state === "closed") { schedule(s.refresh_after_seconds); return; }
      if (s.state === "before_open" || s.state === "prequeue") {
        // Nobody has a place yet: keep the countdown and the pre-queue's size current.
        if (typeof s.opens_in_text === "string") { set("ws-opens-in", fill(T.opens, s.opens_in_text)); }
        if (typeof s.prequeue_size === "number") {
          set("ws-prequeue", fill(T.here, s.prequeue_size === 1 ? T.one_p : fill(T.many_p, num(s.prequeue_size))));
        }
        schedule(s.refresh_after_seconds);
        return;
      }
      if (s.admitted) {
        var note = document.getElementById("ws-admitted");
        if (note) { note.hidden = false; }
        window.location.replace(window.location.href);
        return;
      }
      if (typeof s.position !== "number") {
        // The ticket is gone (expired while the device slept, or refused): reload to get a
        // fresh one rather than show a stale place forever.
        window.setTimeout(function () { window.location.replace(window.location.href); }, 2000);
        return;
      }
      if (typeof s.position === "number") {
        set("ws-position", num(s.position));
        set("ws-ahead", s.ahead === 0 ? T.next : s.ahead === 1 ? T.one : fill(T.many, num(s.ahead)));
      }
      // The estimate comes in words, in this page's language (the status is asked with it).
      if (typeof s.eta_text === "string") { set("ws-eta", fill(T.est, s.eta_text)); }
      var now = new Date();
      set("ws-time", now.toLocaleTimeString(lang === "de" ? "de-DE" : "en-GB"));
      schedule(s.refresh_after_seconds);
    }).catch(function () { schedule(15); });
  }
  schedule(parseInt(main.getAttribute("data-refresh"), 10));
})();
