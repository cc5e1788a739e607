/* Live updates from the motcua server: a small Socket.IO (protocol 5) client
   over a plain WebSocket, so every screen works on a LAN with no CDN.
   It reconnects by itself with backoff and reports its status, so a hall TV
   can show a discreet "reconnecting" mark instead of stale numbers.

   Live.connect({state: fn, called: fn, status: fn("online"|"offline")})
   The page's <body data-live> follows the status too, so a page's CSS can dim its buttons and
   show its large offline banner (.offline-banner) for as long as the server is out of reach;
   a page clears its stale errors in its status handler when "online" comes back. */
(function () {
  "use strict";

  function connect(handlers) {
    var ws = null, delay = 500, pingTimer = null, closed = false;

    function setStatus(s) {
      document.body.dataset.live = s;
      if (handlers.status) handlers.status(s);
    }

    function watchdog(ms) {
      clearTimeout(pingTimer);
      pingTimer = setTimeout(function () { if (ws) ws.close(); }, ms);
    }

    function open() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(scheme + location.host + "/socket.io/?EIO=4&transport=websocket");
      var limit = 60000;
      ws.onmessage = function (msg) {
        var data = String(msg.data), type = data.charAt(0);
        if (type === "0") {              // engine.io open: learn ping timing, join namespace
          var info = JSON.parse(data.slice(1));
          limit = info.pingInterval + info.pingTimeout;
          ws.send("40");
          watchdog(limit);
        } else if (type === "2") {       // ping from the server
          ws.send("3");
          watchdog(limit);
        } else if (data.slice(0, 2) === "40") {
          delay = 500;
          setStatus("online");
        } else if (data.slice(0, 2) === "42") {
          var packet = JSON.parse(data.slice(2));
          var fn = handlers[packet[0]];
          if (fn) fn(packet[1]);
        } else if (data.slice(0, 2) === "41" || data.slice(0, 2) === "44") {
          ws.close();
        }
      };
      ws.onclose = function () {
        clearTimeout(pingTimer);
        setStatus("offline");
        if (closed) return;
        setTimeout(open, delay + Math.random() * 250);
        delay = Math.min(delay * 2, 5000);
      };
      ws.onerror = function () { ws.close(); };
    }

    open();
    return { close: function () { closed = true; if (ws) ws.close(); } };
  }

  function failure(message, code, status) {
    var err = new Error(message);
    err.code = code;
    err.status = status;
    return err;
  }

  /* JSON over fetch with the API's error shape turned into an Error. Every change
     is sent as JSON, even without a body: the server refuses any other kind, which
     is what keeps other sites' forms from acting with this page's cookie. A request that
     never reached the server, or an answer that is not ours, gets a Vietnamese message
     saying what to do (code "network" or "bad_response"), never the browser's English. */
  function api(method, path, body) {
    var init = { method: method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    return fetch(path, init).catch(function () {
      throw failure("Không kết nối được máy chủ. Kiểm tra dây mạng hoặc Wi-Fi của máy này rồi thử lại;"
        + " nếu vẫn không được, báo bộ phận kỹ thuật.", "network", 0);
    }).then(function (res) {
      return res.json().catch(function () {
        throw failure("Máy chủ trả lời không đúng (mã " + res.status + "). Chờ một lát rồi thử lại;"
          + " nếu vẫn không được, báo bộ phận kỹ thuật.", "bad_response", res.status);
      }).then(function (data) {
        if (!res.ok) {
          var err = failure(data.message || res.statusText, data.error, res.status);
          err.data = data;                // e.g. `retry_after` of a 429
          throw err;
        }
        return data;
      });
    });
  }

  /* "08:15" from a server stamp such as "2026-11-30T08:15:02.120+07:00": the center's own
     time, read as written, never the browser's clock or time zone (which may be another day). */
  function clockText(stamp) {
    return String(stamp).slice(11, 16);
  }

  function allowed(me, role) { return me.role === role || me.role === "supervisor"; }

  /* The staff login box (shared/templates/login.html): its token is exchanged for a
     session; `done(me)` runs once the caller holds `role` ("officer" or "supervisor"). */
  function login(role, done) {
    var $ = function (id) { return document.getElementById(id); };
    $("login-form").onsubmit = function (e) {
      e.preventDefault();
      api("POST", "/api/login", { token: $("token").value }).then(function (me) {
        if (!allowed(me, role)) throw failure("Cần mã của lãnh đạo.", "forbidden", 403);
        $("token").value = "";
        $("login-error").textContent = "";
        done(me);
      }).catch(function (err) { $("login-error").textContent = err.message; });
    };
  }

  /* A staff page: the login box and the page's `main` element take turns. `start(me)` runs
     when logged in with `role` (at once when a session is already open); the returned
     function shows the login box again (after a 401 or 403), with `stop()` run first. */
  function staff(options) {
    var box = document.getElementById("login"), main = document.getElementById(options.main);
    function show() {
      if (options.stop) options.stop();
      box.hidden = false;
      main.hidden = true;
      document.getElementById("token").focus();
    }
    function enter(me) {
      box.hidden = true;
      main.hidden = false;
      options.start(me);
    }
    login(options.role, enter);
    api("GET", "/api/me").then(function (me) { if (allowed(me, options.role)) enter(me); else show(); }).catch(show);
    return show;
  }

  window.Live = { connect: connect, api: api, clockText: clockText, login: login, staff: staff };
})();
