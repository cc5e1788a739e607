/* Rating screen: asks about the ticket this counter just finished, once.
   It learns of a finish from the live `state` push (sent after every change)
   and, in case a push is missed, by asking again every few seconds. It goes
   back to rest quietly when the server's rating window runs out. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var counterId = $("rate").dataset.counter;
  var path = "/api/counters/" + counterId + "/rating";
  var shown = null, restTimer = null, busy = false;

  function screen(name) {
    ["idle", "ask", "thanks"].forEach(function (s) { $(s).hidden = s !== name; });
  }

  function rest(after) {
    clearTimeout(restTimer);
    restTimer = setTimeout(function () { screen("idle"); }, after);
  }

  function ask(data) {
    var t = data.ticket;
    shown = t.id;
    $("number").textContent = t.number;
    $("field").textContent = t.service_name;
    var buttons = data.scale.map(function (choice, i) {
      var b = document.createElement("button");
      b.textContent = choice.label;
      b.dataset.score = choice.score;
      if (i === 0) b.className = "best";
      if (i === data.scale.length - 1) b.className = "worst";
      b.onclick = function () { send(t.id, choice.score); };
      return b;
    });
    $("choices").replaceChildren.apply($("choices"), buttons);
    screen("ask");
    rest(data.expires_in * 1000);
  }

  function send(ticket, score) {
    if (busy) return;
    busy = true;
    Live.api("POST", path, { ticket: ticket, score: score })
      .catch(function () { /* already rated or too late: thank quietly anyway */ })
      .then(function () { busy = false; screen("thanks"); rest(4000); });
  }

  function refresh() {
    Live.api("GET", path).then(function (data) {
      $("counter-name").textContent = data.counter.name;
      if (data.ticket && data.ticket.id !== shown && !busy) ask(data);
      if (!data.ticket && !$("ask").hidden) screen("idle");
    }).catch(function (err) {
      if (err.status === 404) $("counter-name").textContent = "Không có quầy số " + counterId;
      /* otherwise offline: the next push or poll tries again */
    });
  }

  refresh();
  setInterval(refresh, 3000);
  Live.connect({
    hello: function () { return { page: "rating" }; },
    report: function () { return {}; },
    state: refresh,
    status: function (s) { $("status").dataset.status = s; $("status").textContent = s === "online" ? "" : "…"; }
  });
})();
