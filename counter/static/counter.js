/* Counter desk: every action a button with a one-key shortcut. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var counterId = Number(localStorage.getItem("motcua.counter")) || null;
  var state = null, busy = false;

  function mine() {
    return state && state.counters.filter(function (c) { return c.id === counterId; })[0];
  }

  function render() {
    if (!state) return;
    var select = $("counter");
    if (!select.options.length || select.options.length !== state.counters.length) {
      select.replaceChildren.apply(select, state.counters.map(function (c) {
        return new Option(c.name, c.id);
      }));
    }
    if (!mine()) counterId = state.counters.length ? state.counters[0].id : null;
    select.value = counterId;
    var c = mine();
    if (!c) return;
    var names = {};
    state.services.forEach(function (s) { names[s.code] = s; });
    $("current").textContent = c.current ? c.current.number : "—";
    $("current-field").textContent = c.current ? names[c.current.service].name : (c.open ? "" : "Quầy đang đóng");
    document.querySelector('[data-action="pause"]').hidden = c.paused;
    document.querySelector('[data-action="resume"]').hidden = !c.paused;
    $("waiting").replaceChildren.apply($("waiting"), c.services.map(function (code) {
      var li = document.createElement("li");
      li.textContent = names[code].name + ": " + names[code].waiting;
      return li;
    }));
    var to = $("transfer-to");
    if (to.options.length !== state.services.length) {
      to.replaceChildren.apply(to, state.services.map(function (s) { return new Option(s.name, s.code); }));
    }
  }

  function loadNoShows() {
    Live.api("GET", "/api/tickets?status=no_show").then(function (list) {
      $("no-shows").replaceChildren.apply($("no-shows"), list.map(function (t) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.textContent = "Gọi " + t.number;
        b.onclick = function () { act("call", { ticket: t.id }); };
        li.appendChild(b);
        return li;
      }));
    });
  }

  function act(action, body) {
    if (busy || !counterId) return;
    var c = mine();
    if (action === "call-next") body = { after: c && c.current ? c.current.id : null };
    if (action === "transfer") body = { service: $("transfer-to").value };
    if (action === "no-show" && !confirm("Đánh dấu công dân vắng mặt?")) return;
    busy = true;
    $("error").textContent = "";
    Live.api("POST", "/api/counters/" + counterId + "/" + action, body || {})
      .then(function () { loadNoShows(); })
      .catch(function (err) {
        if (err.status === 401) showLogin();
        $("error").textContent = err.message;
      })
      .then(function () { busy = false; });
  }

  function showLogin() { $("login").hidden = false; $("desk").hidden = true; }

  function start() {
    $("login").hidden = true;
    $("desk").hidden = false;
    loadNoShows();
  }

  document.querySelectorAll("[data-action]").forEach(function (b) {
    b.onclick = function () { act(b.dataset.action); };
  });
  document.addEventListener("keydown", function (e) {
    if (e.target.tagName === "INPUT" || e.ctrlKey || e.altKey || e.metaKey || $("desk").hidden) return;
    var b = document.querySelector('[data-key="' + e.key.toLowerCase() + '"]:not([hidden])');
    if (b) { e.preventDefault(); b.click(); }
  });
  $("counter").onchange = function () {
    counterId = Number(this.value);
    localStorage.setItem("motcua.counter", counterId);
    render();
  };
  $("login-form").onsubmit = function (e) {
    e.preventDefault();
    Live.api("POST", "/api/login", { token: $("token").value })
      .then(start)
      .catch(function (err) { $("login-error").textContent = err.message; });
  };
  $("logout").onclick = function () { Live.api("POST", "/api/logout").then(showLogin); };

  Live.api("GET", "/api/me").then(start).catch(showLogin);
  Live.connect({
    state: function (s) { state = s; render(); },
    status: function (s) { $("status").dataset.status = s; $("status").textContent = s === "online" ? "●" : "Mất kết nối…"; }
  });
})();
