/* Live updates from the motcua server: a small Socket.IO (protocol 5) client
   over a plain WebSocket, so every screen works on a LAN with no CDN.
   It reconnects by itself with backoff and reports its status, so a hall TV
   can show a discreet "reconnecting" mark instead of stale numbers.

   Live.connect({state: fn, called: fn, status: fn("online"|"offline"), ...}) returns
   {close, reconnect, send(event, data, ack?), report(), heardAt()}.
   The page's <body data-live> follows the status too, so a page's CSS can dim its buttons and
   show its large offline banner (.offline-banner) for as long as the server is out of reach;
   a page clears its stale errors in its status handler when "online" comes back.

   Trusted pages also pass `hello` (a function giving {"page", "counter"?}, sent when each
   connection joins: an officer's counter page makes its officer present, an enrolled
   device's page gets a place on the supervisor's devices view) and `report` (a function
   giving the page's own figures for the device report, sent every REPORT_S seconds).
   Every page hears the server's `beat` (docs/api.md): silence for 2.5 beats means a
   connection that is up but dead, so it is closed and opened again; a beat from another
   version (an upgrade) reloads the page as soon as `quiet()` says nothing is going on. */
(function () {
  "use strict";
  var REPORT_S = 15;
  var meta = document.querySelector('meta[name="motcua-version"]');
  var VERSION = meta ? meta.content : "";

  function connect(handlers) {
    var ws = null, delay = 500, pingTimer = null, beatTimer = null, closed = false, online = false;
    var heardAt = 0, acks = {}, nextAck = 1, upgrade = null, lastReport = 0;

    function setStatus(s) {
      document.body.dataset.live = s;
      if (handlers.status) handlers.status(s);
    }

    function watchdog(ms) {
      clearTimeout(pingTimer);
      pingTimer = setTimeout(function () { if (ws) ws.close(); }, ms);
    }

    /* After an upgrade the page reloads itself, but never in the middle of something. */
    function reloadWhenQuiet() {
      if (!handlers.quiet || handlers.quiet()) location.reload();
      else setTimeout(reloadWhenQuiet, 1000);
    }

    function beat(b) {
      clearTimeout(beatTimer);
      beatTimer = setTimeout(function () { if (ws) ws.close(); }, (b.every || 15) * 2500);
      if (VERSION && b.version && b.version !== VERSION && !upgrade) {
        upgrade = b.version;
        reloadWhenQuiet();
      }
    }

    function send(event, data, ack) {
      if (!ws || ws.readyState !== 1 || !online) return false;
      var id = "";
      if (ack) { id = String(nextAck++); acks[id] = ack; }
      ws.send("42" + id + JSON.stringify([event, data]));
      return true;
    }

    function report() {
      if (!handlers.report || Date.now() - lastReport < 2500) return;
      var r = handlers.report() || {};
      r.version = VERSION;
      if (heardAt) r.heard_at = new Date(heardAt).toISOString();
      r.screen = [Math.round(screen.width) || 0, Math.round(screen.height) || 0];
      if (send("report", r)) lastReport = Date.now();
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
          ws.send("40" + (handlers.hello ? JSON.stringify(handlers.hello()) : ""));
          watchdog(limit);
        } else if (type === "2") {       // ping from the server
          ws.send("3");
          watchdog(limit);
        } else if (data.slice(0, 2) === "40") {
          delay = 500;
          online = true;
          setStatus("online");
          lastReport = 0;
          setTimeout(report, 500);
        } else if (data.slice(0, 2) === "42") {
          heardAt = Date.now();
          var packet = JSON.parse(data.slice(2));
          if (packet[0] === "beat") beat(packet[1]);
          var fn = handlers[packet[0]];
          if (fn) fn(packet[1]);
        } else if (data.slice(0, 2) === "43") {
          var m = /^43(\d+)(.*)$/.exec(data), done = m && acks[m[1]];
          if (done) { delete acks[m[1]]; done(JSON.parse(m[2])[0]); }
        } else if (data.slice(0, 2) === "41" || data.slice(0, 2) === "44") {
          ws.close();
        }
      };
      ws.onclose = function () {
        clearTimeout(pingTimer);
        clearTimeout(beatTimer);
        online = false;
        acks = {};
        setStatus("offline");
        if (closed) return;
        setTimeout(open, delay + Math.random() * 250);
        delay = Math.min(delay * 2, 5000);
      };
      ws.onerror = function () { ws.close(); };
    }

    open();
    if (handlers.report) setInterval(report, REPORT_S * 1000);
    return {
      close: function () { closed = true; if (ws) ws.close(); },
      /** A new connection now (e.g. after a login, so the server sees the session). */
      reconnect: function () { delay = 100; if (ws) ws.close(); },
      send: send,
      report: report,
      heardAt: function () { return heardAt; }
    };
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
