/* Counter desk: every action a button with a one-key shortcut shown on it. Only Xong
   (finish) cannot be undone, so only it asks for a second press; a no-show or a transfer
   can be undone at once (Z) by calling the same ticket back. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  // /counter?counter=5 binds this PC to Quầy 5 (kept in the browser for the next visits).
  var bound = Number(new URLSearchParams(location.search).get("counter"));
  if (bound) localStorage.setItem("motcua.counter", bound);
  var counterId = Number(localStorage.getItem("motcua.counter")) || null;
  var state = null, busy = false, armed = null, armTimer = null, undo = null;
  var noShowsBusy = false, noShowsAgain = false;

  function mine() {
    return state && state.counters.filter(function (c) { return c.id === counterId; })[0];
  }

  function names() {
    var map = {};
    if (state) state.services.forEach(function (s) { map[s.code] = s; });
    return map;
  }

  function render() {
    if (!state) return;
    var select = $("counter");
    var key = state.counters.map(function (c) { return c.id + ":" + c.name + ":" + c.open; }).join("|");
    if (select.dataset.key !== key) {
      select.dataset.key = key;
      select.replaceChildren.apply(select, state.counters.map(function (c) {
        return new Option(c.name + (c.open ? "" : " (đóng)"), c.id);
      }));
    }
    if (!mine()) counterId = state.counters.length ? state.counters[0].id : null;
    select.value = counterId;
    var c = mine();
    if (!c) return;
    var svc = names();
    $("current").textContent = c.current ? c.current.number : "—";
    var field = $("current-field");
    field.textContent = c.current ? (svc[c.current.service] || {}).name || c.current.service : "\u00a0";
    if (c.current && c.current.priority) {
      var p = document.createElement("span");
      p.className = "prio";
      p.textContent = " · Ưu tiên";
      field.append(p);
    }
    if (c.current && c.current.booked) {
      var b = document.createElement("span");
      b.className = "booked";
      b.textContent = " · Đã đặt lịch";
      field.append(b);
    }
    var note = !c.open ? "Quầy đang đóng (lãnh đạo mở lại trên trang Điều hành)"
      : c.paused ? "Quầy đang tạm dừng: bấm Tiếp tục (P) để gọi số" : "";
    $("counter-state").hidden = !note;
    $("counter-state").textContent = note;
    document.querySelector('[data-action="pause"]').hidden = c.paused;
    document.querySelector('[data-action="resume"]').hidden = !c.paused;
    document.querySelector('[data-action="call-next"] .text').textContent = c.current ? "Xong và gọi tiếp" : "Gọi tiếp";
    document.querySelectorAll("[data-action]").forEach(function (b) {
      b.disabled = !c.open || (b.hasAttribute("data-needs-current") && !c.current)
        || (c.paused && (b.dataset.action === "call-next" || b.dataset.action === "recall"));
    });
    $("waiting").replaceChildren.apply($("waiting"), c.services.map(function (code) {
      var li = document.createElement("li"), n = document.createElement("span");
      li.textContent = (svc[code] || { name: code }).name + ":";
      n.className = "num";
      n.textContent = svc[code] ? svc[code].waiting : "?";
      li.append(n);
      return li;
    }));
    var to = $("transfer-to");
    var codes = state.services.map(function (s) { return s.code; }).join(",");
    if (to.dataset.codes !== codes) {
      to.dataset.codes = codes;
      to.replaceChildren.apply(to, state.services.map(function (s) { return new Option(s.name, s.code); }));
    }
    if (c.current && to.value === c.current.service) {   // moving to the same field makes no sense
      var other = state.services.filter(function (s) { return s.code !== c.current.service; })[0];
      if (other) to.value = other.code;
    }
  }

  function loadNoShows() {
    if (noShowsBusy) { noShowsAgain = true; return; }
    noShowsBusy = true;
    Live.api("GET", "/api/tickets?status=no_show").then(function (list) {
      var svc = names(), c = mine(), own = c ? c.services : [];
      list.sort(function (a, b) { return (own.indexOf(b.service) >= 0) - (own.indexOf(a.service) >= 0); });
      var items = list.map(function (t) {
        var li = document.createElement("li"), b = document.createElement("button"), s = document.createElement("small");
        b.className = "num";
        b.textContent = t.number + " ";
        s.textContent = (svc[t.service] || { name: t.service }).name;
        b.append(s);
        b.title = "Gọi lại số " + t.number + " về quầy này";
        b.onclick = function () { act("call", { ticket: t.id }); };
        li.appendChild(b);
        return li;
      });
      if (!items.length) {
        var li = document.createElement("li");
        li.className = "none";
        li.textContent = "Không có";
        items.push(li);
      }
      $("no-shows").replaceChildren.apply($("no-shows"), items);
    }).catch(function () {}).then(function () {
      noShowsBusy = false;
      if (noShowsAgain) { noShowsAgain = false; loadNoShows(); }
    });
  }

  function disarm() {
    clearTimeout(armTimer);
    if (armed) { armed.classList.remove("armed"); armed.querySelector(".text").textContent = armed.dataset.label; }
    armed = null;
  }

  /* An action that cannot be undone needs a second press within 4 s (no modal dialog). */
  function confirmed(button) {
    if (!button || !button.dataset.confirm) return true;
    if (armed === button) { disarm(); return true; }
    disarm();
    armed = button;
    button.dataset.label = button.querySelector(".text").textContent;
    button.querySelector(".text").textContent = button.dataset.confirm;
    button.classList.add("armed");
    armTimer = setTimeout(disarm, 4000);
    return false;
  }

  function setUndo(ticket, text) {
    undo = ticket;
    $("note-text").textContent = text;
    $("undo").hidden = !ticket;
    if (ticket) $("undo-number").textContent = ticket.number;
  }

  function act(action, body, button) {
    if (busy || !counterId || !state) return;
    if (!confirmed(button)) return;
    if (armed && armed !== button) disarm();
    var c = mine(), current = c && c.current;
    if (action === "call-next") body = { after: current ? current.id : null };
    if (action === "transfer") body = { service: $("transfer-to").value };
    busy = true;
    $("error").textContent = "";
    Live.api("POST", "/api/counters/" + counterId + "/" + action, body || {})
      .then(function (reply) {
        if (action === "no-show" && current) setUndo(current, "Đã ghi vắng mặt số " + current.number + ".");
        else if (action === "transfer" && current) {
          var to = $("transfer-to");
          setUndo(current, "Đã chuyển số " + current.number + " sang " + to.options[to.selectedIndex].text + ".");
        } else if (action === "call-next" && reply && reply.ticket === null) setUndo(null, "Không còn ai đang chờ.");
        else setUndo(null, "");
        loadNoShows();
      })
      .catch(function (err) {
        if (err.status === 401) showLogin();
        $("error").textContent = err.message;
      })
      .then(function () { busy = false; });
  }

  function showLogin() { $("login").hidden = false; $("desk").hidden = true; $("token").focus(); }

  function start(me) {
    $("login").hidden = true;
    $("desk").hidden = false;
    $("who").textContent = me && me.name ? me.name : "";
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    document.querySelector('[data-action="call-next"]').focus();  // shortcuts work at once
    loadNoShows();
  }

  document.querySelectorAll("[data-action]").forEach(function (b) {
    b.disabled = true;                       // until the first `state` says what this counter can do
    b.onclick = function () { act(b.dataset.action, undefined, b); };
  });
  $("undo").onclick = function () {
    if (undo) { var t = undo; setUndo(null, ""); act("call", { ticket: t.id }); }
  };
  document.addEventListener("keydown", function (e) {
    var tag = e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || e.ctrlKey || e.altKey || e.metaKey || e.repeat
        || $("desk").hidden) return;
    var b = document.querySelector('[data-key="' + e.key.toLowerCase() + '"]:not([hidden]):not(:disabled)');
    if (b) { e.preventDefault(); b.click(); }
  });
  $("counter").onchange = function () {
    counterId = Number(this.value);
    localStorage.setItem("motcua.counter", counterId);
    setUndo(null, "");
    disarm();
    render();
    loadNoShows();
  };
  $("login-form").onsubmit = function (e) {
    e.preventDefault();
    Live.api("POST", "/api/login", { token: $("token").value })
      .then(function (me) { $("token").value = ""; start(me); })
      .catch(function (err) { $("login-error").textContent = err.message; });
  };
  $("logout").onclick = function () { Live.api("POST", "/api/logout").then(showLogin); };

  Live.api("GET", "/api/me").then(start).catch(showLogin);
  Live.connect({
    state: function (s) { state = s; render(); if (!$("desk").hidden) loadNoShows(); },
    status: function (s) { $("status").dataset.status = s; $("status").textContent = s === "online" ? "● trực tuyến" : "Mất kết nối…"; }
  });
})();
