/* Hall display: every open counter from `state`; each `called` is announced in order, and
   the tile of the call being read is the one highlighted (with the "Mời số … → Quầy …"
   banner), while calls waiting their turn carry a lighter "new" mark. Tiles are sized from
   the screen so 1..16 counters fit without scrolling, and updated in place so nothing shifts.
   Sized for 10 m (docs/voice.md, "Reading from 10 m"): digits at least 1/200 of the distance
   tall, i.e. numbers of 14 counters at least 10.5% of the screen's height, the banner's
   number larger still. Fields show their configured short name on one line; a name that
   still does not fit goes on two smaller lines, never cut. "Vừa gọi" lists a call once its
   announcement starts, so the list is in the order the hall hears; a number called back
   after a no-show is marked. The clock is the server's, in the center's time zone. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var MIN_NUM = 72, MIN_TEXT = 24;
  var tiles = {};          // counter id -> tile element
  var calls = {};          // announcement id -> {counter, number, recall}
  var waiting = {};        // counter id -> calls queued for the announcer
  var clockOffset = 0;     // server epoch ms - this TV's epoch ms
  var timezone = "Asia/Ho_Chi_Minh";
  var order = "";          // ids of the drawn tiles, to know when to rebuild
  var services = {};
  var last = null;
  var online = false;
  var loadedAt = Date.now();
  // The server's settings come as data, not as an inline script (the pages' CSP runs none).
  var config = JSON.parse($("display-config").textContent);
  var maxLag = Announcer.configure(config.sound).maxLag;   // voice.max_lag_s
  var seen = {}, seenOrder = [];  // the last 200 announcement ids heard, so a catch-up repeats none
  var lastCallAt = "";     // the server's called_at of the latest call heard
  var recentLate = [];     // seconds each of the last calls reached this screen after it was made
  var recentLag = [];      // seconds each of the last calls waited between heard and spoken
  var heard = {};          // announcement id -> performance.now() when it was heard
  var catching = false;
  var firstState = true;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Text sizes on a tile for a number size: names and fields not under MIN_TEXT while the
     number is at least MIN_NUM (smaller only when even that cannot fit, e.g. 16 counters). */
  function textSizes(size) {
    var k = Math.min(1, size / MIN_NUM);
    return { name: Math.max((MIN_TEXT + 2) * k, size * 0.3), field: Math.max(MIN_TEXT * k, size * 0.22) };
  }

  /* Pick the grid that gives the biggest number for this many counters on this screen:
     name, number and field (one line each) must fit the tile's height. */
  function layout(n, longest) {
    var box = $("counters");
    var gap = Math.max(6, Math.round(Math.min(innerWidth, innerHeight) * 0.012));
    box.style.setProperty("--gap", gap + "px");
    var W = box.clientWidth, H = box.clientHeight, best = null;
    n = Math.max(1, n);
    for (var cols = 1; cols <= n; cols++) {
      var rows = Math.ceil(n / cols);
      if (cols > 1 && Math.ceil(n / (cols - 1)) === rows) continue;  // same rows, narrower tiles
      var w = (W - gap * (cols + 1)) / cols, h = (H - gap * (rows + 1)) / rows;
      var size = Math.min(300, (w * 0.94) / (0.6 * longest + 0.1)), fits = false;
      for (; size >= 12 && !fits; size -= 2) {
        var t = textSizes(size);
        fits = t.name * 1.3 + size + t.field * 1.3 <= h - 10 - 0.02 * w;  // borders, padding
      }
      size += 2;
      if (!best || (fits && !best.fits) || (fits === best.fits && size > best.size)) {
        best = { cols: cols, rows: rows, size: size, fits: fits };
      }
    }
    var size = Math.max(12, best.size), text = textSizes(size);
    box.style.setProperty("--cols", best.cols);
    box.style.setProperty("--rows", best.rows);
    box.style.setProperty("--num-size", size.toFixed(1) + "px");
    box.style.setProperty("--name-size", text.name.toFixed(1) + "px");
    box.style.setProperty("--field-size", text.field.toFixed(1) + "px");
  }

  function makeTile(id) {
    var t = el("section", "tile");
    t.dataset.counter = id;
    t.append(el("div", "name"), el("div", "num"), el("div", "field"));
    return t;
  }

  /* An open counter nobody is at ("Chưa có cán bộ") looks unlike an idle staffed one ("—"). */
  function fillTile(t, c) {
    var cur = c.current, away = c.staffed === false && !cur;
    t.classList.toggle("unstaffed", away);
    t.classList.toggle("paused", c.paused && !away);
    t.classList.toggle("idle", !c.paused && !cur && !away);
    if (c.paused) cur = null;             // the officer stepped away: show the fields, not a number
    t.classList.toggle("priority", !!(cur && cur.priority));
    t.children[0].textContent = c.name;
    t.children[1].textContent = away ? "Chưa có cán bộ" : c.paused ? "Tạm dừng" : (cur ? cur.number : "—");
    t.children[2].textContent = cur ? (services[cur.service] || cur.service)
      : c.services.map(function (s) { return services[s] || s; }).join(" · ");
  }

  /* A field that does not fit one line takes two smaller ones (same height), never an ellipsis. */
  function fitField(t) {
    var field = t.children[2];
    t.classList.remove("long");
    if (field.scrollWidth > field.clientWidth + 1) t.classList.add("long");
  }

  /* Calls the announcer has not started yet: not in "Vừa gọi" until the hall hears them. */
  function unheard(r) {
    return Object.keys(calls).some(function (id) {
      var c = calls[id];
      return !c.started && c.number === r.number && c.counter === r.counter && c.recall === r.recall;
    });
  }

  function render(state) {
    last = state;
    state.services.forEach(function (s) { services[s.code] = s.short_name || s.name; });
    var open = state.counters.filter(function (c) { return c.open; });
    var ids = open.map(function (c) { return c.id; }).join(",");
    var box = $("counters");
    if (ids !== order) {
      order = ids;
      var keep = {};
      box.replaceChildren.apply(box, open.map(function (c) {
        keep[c.id] = tiles[c.id] || makeTile(c.id);
        return keep[c.id];
      }));
      tiles = keep;
      if (!open.length) box.append(el("div", "empty", "Chưa có quầy nào mở"));
    }
    var longest = 4;
    open.forEach(function (c) {
      fillTile(tiles[c.id], c);
      if (c.current) longest = Math.max(longest, c.current.number.length);
    });
    layout(open.length, longest);
    open.forEach(function (c) { fitField(tiles[c.id]); });
    renderRecent();
  }

  function renderRecent() {
    var names = {};
    last.counters.forEach(function (c) { names[c.id] = c.name; });
    $("recent").replaceChildren.apply($("recent"), last.recent.filter(function (r) { return !unheard(r); }).map(function (r) {
      var li = el("li", (r.recall ? "recall" : "") + (r.callback ? " callback" : ""));
      var num = el("span", "num", r.number);
      if (r.callback) num.append(el("small", "back", " gọi lại"));
      li.append(num, el("span", "where", "→ " + (names[r.counter] || "")));
      return li;
    }));
  }

  /* The supervisor's notice line, carried by every `state`; redrawn only when it changes. */
  function showNotice(text) {
    var line = $("notice-text");
    if (line.textContent === text && $("notice").hidden === !text) return;
    line.textContent = text;
    line.style.setProperty("--notice-s", Math.max(12, Math.round(text.length / 4)) + "s");
    $("notice").hidden = !text;
    if (last) render(last);
  }

  function counterName(id) {
    var c = last && last.counters.filter(function (x) { return x.id === id; })[0];
    return c ? c.name : "Quầy " + id;
  }

  /* The lighter mark: this counter has a call waiting for the announcer. */
  function markWaiting(counterId, delta) {
    waiting[counterId] = Math.max(0, (waiting[counterId] || 0) + delta);
    var t = tiles[counterId];
    if (t) t.classList.toggle("queued", waiting[counterId] > 0);
  }

  /* The announcer says what it is reading: that call, and only it, gets the strong highlight. */
  function keep(list, value) {
    list.push(value);
    if (list.length > 10) list.shift();
  }

  function speaking(entry) {
    var call = calls[entry.id];
    if (!call) return;
    var banner = $("now-calling");
    if (entry.event === "end" && entry.via === "dropped") {   // stale: shown, never read late
      markWaiting(call.counter, -1);
      delete calls[entry.id];
      delete heard[entry.id];
      return;
    }
    if (entry.event === "start") {
      call.started = true;
      if (last) renderRecent();
      if (heard[entry.id] !== undefined) keep(recentLag, (entry.at - heard[entry.id]) / 1000);
      delete heard[entry.id];
      markWaiting(call.counter, -1);
      Object.keys(tiles).forEach(function (id) { tiles[id].classList.remove("speaking"); });
      if (tiles[call.counter]) tiles[call.counter].classList.add("speaking");
      $("now-lead").textContent = call.recall ? "Nhắc lại số" : "Mời số";
      $("now-number").textContent = call.number;
      $("now-counter").textContent = "→ " + counterName(call.counter);
      banner.dataset.state = "speaking";
      banner.dataset.call = entry.id;
      banner.dataset.counter = call.counter;
    } else if (entry.event === "end" && banner.dataset.call === String(entry.id)) {
      if (tiles[call.counter]) tiles[call.counter].classList.remove("speaking");
      banner.dataset.state = "idle";
      $("now-lead").textContent = "Vừa mời số";
      delete calls[entry.id];
    }
  }

  function called(event) {
    if (last) {
      last.counters.forEach(function (c) {
        if (c.id === event.counter.id) {
          c.current = { id: event.ticket.id, number: event.ticket.number, service: event.ticket.service,
                        priority: event.ticket.priority, called_at: event.ticket.called_at };
        }
      });
      render(last);
    }
    var say = { id: event.ticket.id + "." + event.ticket.recalls, recall: event.recall };
    if (seen[say.id]) return;
    seen[say.id] = true;
    seenOrder.push(say.id);
    if (seenOrder.length > 200) delete seen[seenOrder.shift()];
    for (var k in event.announce) say[k] = event.announce[k];
    // How long ago the server made the call (or recall), by its clock.
    var at = event.at || event.ticket.called_at, age = Date.now() + clockOffset - Date.parse(at);
    if (at > lastCallAt) lastCallAt = at;
    keep(recentLate, Math.max(0, age / 1000));
    // A call this screen heard late (it was away) is shown, but spoken only while still fresh.
    if (age > maxLag * 1000) return;
    if (age >= 0 && age < 5000) say.age = age;   // a clock more than 5 s off is ignored
    calls[say.id] = { counter: event.counter.id, number: event.ticket.number, recall: event.recall, started: false };
    heard[say.id] = performance.now();
    markWaiting(event.counter.id, 1);
    Announcer.enqueue(say);
  }

  /* After a reconnect, or when the server's beat names a call this screen never heard: ask for
     the calls made since the last one heard. Tiles and history come with `state`; only calls
     younger than voice.max_lag_s are spoken (called() decides). */
  function catchUp() {
    if (catching) return;
    catching = true;
    // Nothing heard yet today: whatever was called since this page was served.
    var since = lastCallAt || new Date(config.clock ? config.clock.epoch_ms : loadedAt).toISOString();
    fetch("/api/calls?since=" + encodeURIComponent(since), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (list) { list.forEach(called); })
      .catch(function () {}).then(function () { catching = false; });
  }

  function beat(b) {
    if (b.last_call && b.last_call.at > lastCallAt) catchUp();
  }

  /* The device report (docs/api.md): only an enrolled display's is kept by the server. */
  function report() {
    return {
      sound: Announcer.needsUnlock() ? "blocked" : "ok",
      lag_s: recentLag.length ? Math.max.apply(null, recentLag) : 0,
      late_s: recentLate.length ? Math.max.apply(null, recentLate) : 0,
      last_call_at: lastCallAt || undefined,
      clock_offset_ms: Math.round(clockOffset),
      pending: Announcer.pending(),
      dropped: Announcer.dropped
    };
  }

  function soundButtons() {
    $("sound-on").hidden = !Announcer.needsUnlock();
  }

  /* Take the server's clock (and the center's time zone): a TV's own clock drifts or is
     set to another zone. Half the round trip is added as the reply's age. */
  function syncClock() {
    var sent = Date.now();
    fetch("/api/time", { cache: "no-store" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) {
        if (!t) return;
        clockOffset = t.epoch_ms + (Date.now() - sent) / 2 - Date.now();
        timezone = t.timezone;
        tick();
      }).catch(function () { /* keep the last offset */ });
  }

  function status(s) {
    if (s === "online" && !online) { syncClock(); catchUp(); }
    online = s === "online";
    $("status").dataset.status = s;
    $("status").textContent = online ? "" : "Đang kết nối lại…";
    document.body.classList.toggle("stale", !online);
  }

  function tick() {
    var d = new Date(Date.now() + clockOffset);
    $("clock").textContent = d.toLocaleTimeString("vi-VN", { timeZone: timezone, hour: "2-digit", minute: "2-digit" });
    $("date").textContent = d.toLocaleDateString("vi-VN", { timeZone: timezone, weekday: "long", day: "2-digit",
                                                           month: "2-digit", year: "numeric" });
    // A TV left on for weeks: reload once a night (03:00 at the center) while the server is reachable.
    var hour = Number(d.toLocaleTimeString("en-GB", { timeZone: timezone, hour: "2-digit", hourCycle: "h23" }));
    if (hour === 3 && Date.now() - loadedAt > 3600000 && online) location.reload();
  }

  /* Staff only: the speaker test shows with ?setup=1, or after pressing T on the TV's keyboard. */
  function setup(on) {
    $("sound-test").hidden = !on;
    document.body.classList.toggle("setup", on);
  }

  $("sound-on").onclick = function () { Announcer.unlock().then(soundButtons); };
  $("sound-test").onclick = function () { Announcer.unlock().then(soundButtons); Announcer.test(); };
  document.addEventListener("keydown", function (e) {
    Announcer.unlock().then(soundButtons);
    if (e.key === "t" || e.key === "T") setup($("sound-test").hidden);
  });
  setup(new URLSearchParams(location.search).get("setup") === "1");
  if (config.clock) {
    clockOffset = config.clock.epoch_ms - Date.now();
    timezone = config.clock.timezone;
  }
  Announcer.onevent = speaking;
  Announcer.preload();
  soundButtons();
  setInterval(soundButtons, 5000);
  addEventListener("resize", function () { if (last) render(last); });

  setInterval(tick, 1000);
  setInterval(syncClock, 600000);
  tick();
  status("offline");
  var live = Live.connect({
    hello: function () { return { page: "display" }; },
    report: report,
    quiet: function () { return Announcer.pending() === 0; },   // an upgrade reloads between calls
    beat: beat,
    state: function (s) {
      render(s);
      showNotice(s.notice || "");
      // The calls made before this page was loaded are not its to speak; after a reconnect the
      // `state` (which may come before the connection says it is online) must not hide the missed ones.
      if (firstState && s.recent.length) lastCallAt = s.recent[0].at;
      firstState = false;
    },
    called: function (e) { called(e); live.report(); },
    status: status
  });
})();
