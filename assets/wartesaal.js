// wartesaal waiting page: polls the status with jitter and moves on when it is the visitor's
// turn. Without JavaScript the page reloads itself by a <noscript> meta refresh instead.
(function () {
  "use strict";
  // A notice (the booking site is busy, too many new tickets): try again after a while.
  var notice = document.getElementById("ws-notice");
  if (notice) {
    var retry = Math.max(2, parseInt(notice.getAttribute("data-retry"), 10) || 10);
    // replace, not reload: a busy answer to a form must not send the form again.
    window.setTimeout(function () { window.location.replace(window.location.href); },
      retry * 1000 * (0.8 + Math.random() * 0.4));
    return;
  }
  var main = document.getElementById("ws");
  if (!main || !window.fetch) { return; }
  var room = main.getAttribute("data-room");
  var shownState = main.getAttribute("data-state") || "open";
  var shownMessage = main.getAttribute("data-message") || "";
  var shownChance = main.getAttribute("data-chance") || "";
  var lang = main.getAttribute("data-lang") || "de";
  // Every sentence comes worded from the status answer, in this page's language (asked for
  // with it): the script has no words of its own.
  // The sentences that changed with this poll, for a screen reader: only those are said
  // (the box itself is no live region, or it would be read whole, some 45 words, each time).
  var changed = [];
  function set(id, text, say) {
    var el = document.getElementById(id);
    if (el && typeof text === "string" && el.textContent !== text) {
      el.textContent = text;
      if (say) { changed.push(text); }
    }
  }
  function announce() {
    var said = document.getElementById("ws-said");
    if (said && changed.length) { said.textContent = changed.join(" "); }
    changed = [];
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
      if (s.state === "closed" || s.state === "sold_out") {
        set("ws-release-in", s.release_in_sentence);
        schedule(s.refresh_after_seconds);
        return;
      }
      if (s.state === "before_open" || s.state === "prequeue") {
        // Nobody has a place yet: keep the countdown and the pre-queue's size current.
        set("ws-opens-in", s.opens_in_sentence, true);
        set("ws-prequeue", s.prequeue_text);
        announce();
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
        set("ws-position", s.position_text);
        set("ws-ahead", s.ahead_text, true);
      }
      // The estimate comes in words, in this page's language (the status is asked with it).
      set("ws-eta", s.estimate_text, true);
      // What is left to book and the visitor's chance, in words of this page's language.
      if (typeof s.supply_text === "string") { set("ws-supply", s.supply_text); }
      if (typeof s.chance_text === "string") {
        var chance = s.chance || "unknown";
        var el = document.getElementById("ws-chance");
        if (!el || (chance === "unlikely") !== (shownChance === "unlikely")) {
          // The advice that goes with "unlikely" comes and goes with it: the whole page.
          window.location.replace(window.location.href);
          return;
        }
        if (chance !== shownChance) { el.className = "ws-chance ws-chance-" + chance; shownChance = chance; }
        set("ws-chance", s.chance_text, true);
      }
      set("ws-time", s.updated_text);
      announce();
      schedule(s.refresh_after_seconds);
    }).catch(function () { schedule(15); });
  }

  // Proof of work: find a nonce so that SHA-256("challenge:nonce") starts with `bits` zero
  // bits, a little at a time so the page stays responsive, then hand it in for a ticket.
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Array(64);
  // SHA-256 of an ASCII string, as eight 32-bit words.
  function sha256(text) {
    var n = text.length, blocks = ((n + 8) >> 6) + 1, words = new Array(blocks * 16), i, j;
    for (i = 0; i < words.length; i++) { words[i] = 0; }
    for (i = 0; i < n; i++) { words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i & 3) * 8); }
    words[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
    words[words.length - 1] = n * 8;
    var H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    for (j = 0; j < words.length; j += 16) {
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (i = 0; i < 64; i++) {
        if (i < 16) {
          W[i] = words[j + i] | 0;
        } else {
          var x = W[i - 15], y = W[i - 2];
          var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
          var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
          W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
        }
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
      H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
    }
    return H;
  }
  function zeroBits(H) {
    for (var i = 0, n = 0; i < 8; i++, n += 32) {
      if (H[i] !== 0) { return n + Math.clz32(H[i]); }
    }
    return 256;
  }
  function reload() { window.location.replace(window.location.href); }
  function prove(challenge, bits) {
    var nonce = 0, note = document.getElementById("ws-pow"), base = note ? note.textContent : "";
    var expected = Math.pow(2, bits), shown = -1;
    function hand_in() {
      fetch("/.wartesaal/ticket?room=" + encodeURIComponent(room), {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
        body: "challenge=" + encodeURIComponent(challenge) + "&nonce=" + nonce
      }).then(function (r) {
        // A ticket (200), or a challenge that expired or was used (410): the page itself
        // shows what comes next. Anything else: try again in a while.
        if (r.status === 200 || r.status === 410 || r.status === 409) { reload(); return; }
        // Too many new tickets from this connection: come back when the limit allows.
        var wait = parseInt(r.headers.get("Retry-After"), 10);
        window.setTimeout(reload, 1000 * (r.status === 429 && wait > 0 ? wait : 15));
      }).catch(function () { window.setTimeout(reload, 15000); });
    }
    function work() {
      var until = Date.now() + 50;
      while (Date.now() < until) {
        for (var i = 0; i < 200; i++, nonce++) {
          if (zeroBits(sha256(challenge + ":" + nonce)) >= bits) { hand_in(); return; }
        }
      }
      // Progress in whole tens, so that a screen reader is not told every few milliseconds.
      var percent = Math.min(90, Math.floor(100 * nonce / expected / 10) * 10);
      if (note && percent !== shown && percent > 0) {
        shown = percent;
        note.textContent = base + " (" + percent + " %)";
      }
      window.setTimeout(work, 0);
    }
    work();
  }
  var challenge = main.getAttribute("data-challenge");
  if (challenge) {
    prove(challenge, parseInt(main.getAttribute("data-bits"), 10) || 0);
    return;
  }
  schedule(parseInt(main.getAttribute("data-refresh"), 10));
})();
