// What the viewers' pages, the website counter, the overlays, the host's space
// and the dashboard share: the server's clock, following a public stream, where
// the campaign stands, a sponsor's window ahead.

// The server's clock. Every stream's first message says the server's time then
// (`now`); a page keeps how far its computer's clock is from it and counts the
// lives', the challenges', the polls' and the sponsors' times by
// `cagnotteNow()` (milliseconds since the epoch, like `Date.now()`), so that an
// OBS computer whose clock is off still counts down to the server's times, as
// the viewers' pages do. `cagnotteSetClock(frame)` takes a frame's `now`.
var cagnotteNow, cagnotteSetClock;
(function () {
  "use strict";
  var offset = 0;
  cagnotteNow = function () { return Date.now() + offset; };
  cagnotteSetClock = function (frame) {
    var at = frame && frame.type === "snapshot" && typeof frame.now === "string" ? Date.parse(frame.now) : NaN;
    if (!isNaN(at)) offset = at - Date.now();
  };
})();

// Calendar days from today to the day of `iso` (RFC 3339), on this computer's
// calendar by the server's clock: 0 today, 1 tomorrow, -1 yesterday (a day of
// 23 or 25 hours counts as one).
function cagnotteDaysAhead(iso) {
  "use strict";
  var at = new Date(iso), now = new Date(cagnotteNow());
  return Math.round((new Date(at.getFullYear(), at.getMonth(), at.getDate()) -
    new Date(now.getFullYear(), now.getMonth(), now.getDate())) / 864e5);
}

// The locale a page in `lang` writes amounts and dates in: French as France
// writes them; English as this computer's English does ("Tuesday 8 December
// at 23:42" in Britain), else as the United States does.
function cagnotteLocale(lang) {
  "use strict";
  if (lang !== "en") return "fr-FR";
  var mine = (navigator.languages || [navigator.language]).filter(function (l) { return /^en-[A-Za-z]{2}$/.test(l || ""); })[0];
  try {
    return mine ? Intl.getCanonicalLocales(mine)[0] : "en-US";
  } catch (e) {
    return "en-US";
  }
}

// `cagnotteFollow(path, onFrame, onDrop)`
// opens the WebSocket at `path` on this server, hands each frame to `onFrame`,
// and after a drop calls `onDrop` and opens it again, waiting longer after each
// failure (at most 10 s).
function cagnotteFollow(path, onFrame, onDrop) {
  "use strict";
  var attempt = 0, socket = null;
  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var ws = new WebSocket(proto + "//" + location.host + path);
    socket = ws;
    ws.onopen = function () { attempt = 0; };
    ws.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      cagnotteSetClock(ev);
      onFrame(ev);
    };
    ws.onclose = function () {
      if (socket !== ws) return;
      socket = null;
      if (onDrop) onDrop();
      setTimeout(connect, Math.min(10000, 300 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2));
    };
  }
  connect();
}

// Where the campaign stands by the server's clock, from its opening and end
// (RFC 3339 or null): "upcoming" (the pages say when it opens), "open" (they
// invite to give) or "ended" (they thank the donors), as the server says it.
function cagnotteWindow(starts, ends) {
  "use strict";
  var now = cagnotteNow();
  if (ends && Date.parse(ends) <= now) return "ended";
  if (starts && now < Date.parse(starts)) return "upcoming";
  return "open";
}

// The sponsor's window to come soonest, among `matches` (their public JSON),
// that still has budget and starts after `now` and at most `within` ms after
// it: what the pages announce and the overlay counts down to. Null when none.
function cagnotteMatchAhead(matches, now, within) {
  "use strict";
  return matches.filter(function (m) {
    var at = m.starts_at ? Date.parse(m.starts_at) : 0;
    return m.left > 0 && at > now && at - now <= within;
  }).sort(function (a, b) { return Date.parse(a.starts_at) - Date.parse(b.starts_at); })[0] || null;
}

// A live's poll as every page shows it at `now`: whether it is open,
// when it ends (NaN while it has no deadline), and its leading options (none
// before a vote).
function cagnottePollState(p, now) {
  "use strict";
  var end = Date.parse(p.closed_at || p.ends_at || "");
  var best = Math.max.apply(null, p.options.map(function (o) { return o.amount; }));
  return {
    // Closed is closed, though this computer's clock be a moment behind the server's.
    open: !p.closed_at && !(end <= now),
    end: end,
    leaders: p.options.filter(function (o) { return best > 0 && o.amount === best; })
  };
}

// The newest gifts a page keeps, newest first, with `d` (a donation as a frame
// gives it) put in: in place of its previous state, else as the newest if
// `isNew`, else at its time's place. Kept: the twenty newest on air (counted,
// their text not waiting for moderation), which the ticker and the latest gift
// show, and the others newer than the twentieth (up to 100), so that a text
// released takes its place: a burst of texts held for moderation does not
// push out what is on screen. Answers the list and `d`'s previous state (null
// when it was not kept).
function cagnotteKeepRecent(list, d, isNew) {
  "use strict";
  var before = null, i;
  for (i = 0; i < list.length && list[i].id !== d.id; i++) { /* find */ }
  if (i < list.length) {
    before = list[i];
    list[i] = d;
  } else if (isNew) {
    list.unshift(d);
  } else {
    var at = Date.parse(d.at);
    for (i = 0; i < list.length && !(Date.parse(list[i].at) < at); i++) { /* its place */ }
    list.splice(i, 0, d);
  }
  var onAir = 0, others = 0;
  list = list.filter(function (r) {
    if (onAir >= 20) return false;
    if (!r.refunded && r.moderation !== "pending") { onAir++; return true; }
    return ++others <= 100;
  });
  return { list: list, before: before };
}

// A host's own words ("Quel jeu ensuite ?", "Défi : karaoké") with the
// no-break space French puts before ? ! : ; and inside « », as the pages' own
// texts have it: the sign never starts a line of its own.
function cagnotteKeepPunctuation(text) {
  "use strict";
  return String(text).replace(/[ \t]+([?!:;»])/g, "\u00a0$1").replace(/«[ \t]+/g, "«\u00a0");
}

// The challenge on air among `list` (their public JSON) at `now`: the newest
// not over, or one met or whose time ran out within the minute before (by
// `metAt`, id -> when met; one run out only once `missedAt` has its total);
// one called off goes at once. Null when none.
function cagnotteChallengeOnAir(list, metAt, missedAt, now) {
  "use strict";
  return list.filter(function (m) {
    var end = Date.parse(m.ends_at);
    if (m.reached) return (metAt[m.id] || 0) + 60000 > now;
    // Time run out: shown at the total it had.
    if (m.missed && !(m.id in missedAt)) return false;
    return m.cancelled ? end > now : end + 60000 > now;
  }).sort(function (a, b) { return Date.parse(b.created_at) - Date.parse(a.created_at); })[0] || null;
}

// What a page opened late learns of its live's challenges (their public JSON):
// when each met one was met, into `metAt` (id -> ms), and where each whose
// time ran out stopped, into `missedAt` (id -> the live's total then), for
// those not yet known from a frame. A page shows either for a minute after
// (OBS opens a source again when its scene comes back).
function cagnotteChallengeEnds(list, metAt, missedAt) {
  "use strict";
  list.forEach(function (m) {
    var at = m.reached && m.reached_at ? Date.parse(m.reached_at) : NaN;
    if (!isNaN(at) && !(m.id in metAt)) metAt[m.id] = at;
    if (m.missed && typeof m.missed_total === "number" && !(m.id in missedAt)) missedAt[m.id] = m.missed_total;
  });
}
