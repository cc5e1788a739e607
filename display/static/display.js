/* Hall display: every open counter from `state`, the newest `called` highlighted and
   announced in order. Tiles are sized from the screen so 1..16 counters fit without
   scrolling, and updated in place so nothing shifts when a number changes. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var FRESH_MS = 6000;
  var tiles = {};          // counter id -> tile element
  var order = "";          // ids of the drawn tiles, to know when to rebuild
  var services = {};
  var last = null;
  var online = false;
  var loadedAt = Date.now();

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Pick the grid that gives the biggest number for this many counters on this screen. */
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
      var size = Math.min(h * 0.9 / 2.05, (w * 0.9) / (0.62 * longest + 0.3));
      if (!best || size > best.size) best = { cols: cols, rows: rows, size: size };
    }
    var size = Math.max(12, Math.min(best.size, 300));
    box.style.setProperty("--cols", best.cols);
    box.style.setProperty("--rows", best.rows);
    box.style.setProperty("--num-size", size.toFixed(1) + "px");
    box.style.setProperty("--name-size", (size * 0.3).toFixed(1) + "px");
    box.style.setProperty("--field-size", (size * 0.21).toFixed(1) + "px");
  }

  function makeTile(id) {
    var t = el("section", "tile");
    t.dataset.counter = id;
    t.append(el("div", "name"), el("div", "num"), el("div", "field"));
    return t;
  }

  function fillTile(t, c) {
    var cur = c.current;
    t.classList.toggle("paused", c.paused);
    t.classList.toggle("idle", !c.paused && !cur);
    if (c.paused) cur = null;             // the officer stepped away: show the fields, not a number
    t.classList.toggle("priority", !!(cur && cur.priority));
    t.children[0].textContent = c.name;
    t.children[1].textContent = c.paused ? "Tạm dừng" : (cur ? cur.number : "—");
    t.children[2].textContent = cur ? (services[cur.service] || cur.service)
      : c.services.map(function (s) { return services[s] || s; }).join(" · ");
  }

  function render(state) {
    last = state;
    state.services.forEach(function (s) { services[s.code] = s.name; });
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
    var names = {};
    state.counters.forEach(function (c) { names[c.id] = c.name; });
    $("recent").replaceChildren.apply($("recent"), state.recent.map(function (r) {
      var li = el("li", r.recall ? "recall" : "");
      li.append(el("span", "num", r.number), el("span", "where", "→ " + (names[r.counter] || "")));
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

  function highlight(counterId) {
    var t = tiles[counterId];
    if (!t) return;
    t.classList.remove("fresh");
    void t.offsetWidth;                  // restart the animation for a recall
    t.classList.add("fresh");
    clearTimeout(t.freshTimer);
    t.freshTimer = setTimeout(function () { t.classList.remove("fresh"); }, FRESH_MS);
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
    highlight(event.counter.id);
    var say = { id: event.ticket.id + "." + event.ticket.recalls, recall: event.recall };
    for (var k in event.announce) say[k] = event.announce[k];
    Announcer.enqueue(say);
  }

  function soundButtons() {
    $("sound-on").hidden = !Announcer.needsUnlock();
  }

  function status(s) {
    online = s === "online";
    $("status").dataset.status = s;
    $("status").textContent = online ? "" : "Đang kết nối lại…";
    document.body.classList.toggle("stale", !online);
  }

  function tick() {
    var d = new Date();
    $("clock").textContent = Live.clockText(d);
    $("date").textContent = d.toLocaleDateString("vi-VN", { weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" });
    // A TV left on for weeks: reload once a night (03:00) while the server is reachable.
    if (d.getHours() === 3 && Date.now() - loadedAt > 3600000 && online) location.reload();
  }

  $("sound-on").onclick = function () { Announcer.unlock().then(soundButtons); };
  $("sound-test").onclick = function () { Announcer.unlock().then(soundButtons); Announcer.test(); };
  document.addEventListener("keydown", function () { Announcer.unlock().then(soundButtons); }, { once: true });
  Announcer.preload();
  soundButtons();
  setInterval(soundButtons, 5000);
  addEventListener("resize", function () { if (last) render(last); });

  setInterval(tick, 1000);
  tick();
  status("offline");
  Live.connect({ state: function (s) { render(s); showNotice(s.notice || ""); }, called: called, status: status });
})();
