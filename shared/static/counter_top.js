/* Counter-top screen: one counter's name and current number, live. */
(function () {
  "use strict";
  var root = document.getElementById("top"), id = Number(root.dataset.counter);
  var $ = function (x) { return document.getElementById(x); };

  function render(state) {
    var c = state.counters.filter(function (x) { return x.id === id; })[0];
    if (!c) { $("name").textContent = ""; $("number").textContent = "—"; return; }
    $("name").textContent = c.name;
    root.classList.toggle("paused", c.open && c.paused);
    var away = c.open && c.staffed === false && !c.current;   // open, but nobody at it
    root.classList.toggle("closed", !c.open || away);
    $("number").textContent = !c.open ? "Đóng" : away ? "Chưa có cán bộ" : c.paused ? "Tạm dừng"
      : (c.current ? c.current.number : "—");
    document.title = c.name + (c.current ? " · " + c.current.number : "");
  }

  function called(event) {
    if (event.counter.id !== id) return;
    $("number").textContent = event.ticket.number;
    root.classList.remove("fresh");
    void root.offsetWidth;
    root.classList.add("fresh");
  }

  Live.connect({
    hello: function () { return { page: "counter_top" }; },
    report: function () { return {}; },
    state: render,
    called: called,
    status: function (s) {
      $("status").dataset.status = s;
      $("status").textContent = s === "online" ? "" : "Đang kết nối lại…";
      document.body.classList.toggle("stale", s !== "online");
    }
  });
})();
