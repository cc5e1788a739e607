/* Hall display: draws every open counter from `state`, flashes each `called`. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var fresh = {};          // counter id -> time its newest call arrived
  var services = {};
  var last = null;

  function tile(counter) {
    var el = document.createElement("section");
    el.className = "tile" + (counter.paused ? " paused" : "");
    el.dataset.counter = counter.id;
    if (fresh[counter.id] && Date.now() - fresh[counter.id] < 5000) el.classList.add("fresh");
    var name = document.createElement("div");
    name.className = "name";
    name.textContent = counter.name;
    var num = document.createElement("div");
    num.className = "num";
    num.textContent = counter.paused ? "Tạm dừng" : (counter.current ? counter.current.number : "—");
    var field = document.createElement("div");
    field.className = "field";
    field.textContent = counter.current ? services[counter.current.service]
      : counter.services.map(function (c) { return services[c] || c; }).join(", ");
    el.append(name, num, field);
    return el;
  }

  function render(state) {
    last = state;
    state.services.forEach(function (s) { services[s.code] = s.name; });
    var open = state.counters.filter(function (c) { return c.open; });
    var cols = Math.max(1, Math.ceil(Math.sqrt(open.length * 1.6)));
    var rows = Math.max(1, Math.ceil(open.length / cols));
    var box = $("counters");
    box.style.setProperty("--cols", cols);
    box.style.setProperty("--scale", Math.min(1.6, 3 / Math.max(rows, cols * 0.75)).toFixed(2));
    box.replaceChildren.apply(box, open.map(tile));
    var names = {};
    state.counters.forEach(function (c) { names[c.id] = c.name; });
    $("recent").replaceChildren.apply($("recent"), state.recent.map(function (r) {
      var li = document.createElement("li");
      var n = document.createElement("span");
      n.className = "num";
      n.textContent = r.number;
      var c = document.createElement("span");
      c.textContent = names[r.counter] || "";
      li.append(n, c);
      return li;
    }));
  }

  function called(event) {
    fresh[event.counter.id] = Date.now();
    if (!last) return;
    last.counters.forEach(function (c) {
      if (c.id === event.counter.id) c.current = event.ticket;
    });
    render(last);
    var say = { id: event.ticket.id + "." + event.ticket.recalls, recall: event.recall };
    for (var k in event.announce) say[k] = event.announce[k];
    Announcer.enqueue(say);
  }

  function soundButtons() {
    $("sound-on").hidden = !Announcer.needsUnlock();
  }

  function status(s) {
    $("status").dataset.status = s;
    $("status").textContent = s === "online" ? "" : "Đang kết nối lại…";
    document.body.classList.toggle("stale", s !== "online");
  }

  $("sound-on").onclick = function () { Announcer.unlock().then(soundButtons); };
  $("sound-test").onclick = function () { Announcer.unlock().then(soundButtons); Announcer.test(); };
  document.addEventListener("keydown", function () { Announcer.unlock().then(soundButtons); }, { once: true });
  Announcer.preload();
  soundButtons();

  setInterval(function () { $("clock").textContent = Live.clockText(new Date()); }, 1000);
  $("clock").textContent = Live.clockText(new Date());
  Live.connect({ state: render, called: called, status: status });
})();
