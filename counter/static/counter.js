/* Counter desk: every action a button with a one-key shortcut shown on it; the keys work
   whatever has focus. Only Xong (finish) cannot be undone, so only it asks for a second
   press; a no-show, a transfer and a call-back can be undone at once (Z): the no-show is
   called back, the transfer taken back to this field and desk, the call-back returned to
   the no-show list. A no-show is called back only at a free desk (the server refuses
   otherwise): the citizen being served is never finished unseen.
   Buttons keep their places (fixed grid, reserved lines), so a relabel or a banner never
   moves the button under the officer's finger.

   With a rating tablet at the counter, the server holds "call next" (409 rating_hold, with
   `hold_in`) until the citizen just finished has rated or reports.rating_hold_s has passed,
   so the tablet asks the person who was served: the page shows the countdown and calls when
   the server lets it; N again calls at once (`now`). */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  // /counter?counter=5 binds this PC to Quầy 5 (kept in the browser for the next visits).
  var bound = Number(new URLSearchParams(location.search).get("counter"));
  if (bound) localStorage.setItem("motcua.counter", bound);
  var counterId = Number(localStorage.getItem("motcua.counter")) || null;
  var state = null, busy = false, armed = null, armTimer = null, undo = null, hold = null, choices = [];
  var noShowsBusy = false, noShowsAgain = false, warnedNext = null;  // warnedNext: after closing, the first warned citizen

  /* What the officer should do, for the refusals a desk meets (the server's own message otherwise). */
  var ADVICE = {
    counter_closed: "Quầy này đang đóng: nhờ lãnh đạo mở lại trên trang Điều hành.",
    counter_paused: "Quầy đang tạm dừng: bấm Tiếp tục (P) rồi gọi số.",
    no_current_ticket: "Quầy chưa có ai đang được phục vụ: bấm Gọi tiếp (N).",
    ticket_not_callable: "Số này đã được gọi hoặc đã xong ở quầy khác: không cần gọi lại.",
    transfer_not_undoable: "Số này đã được gọi ở quầy khác sau khi chuyển: không hoàn tác được nữa.",
    counter_not_found: "Quầy này không còn: chọn lại quầy ở góc trên.",
    forbidden: "Mã đăng nhập này không được thao tác ở quầy: đăng nhập bằng mã của cán bộ."
  };

  function mine() {
    return state && state.counters.filter(function (c) { return c.id === counterId; })[0];
  }

  function names() {
    var map = {};
    if (state) state.services.forEach(function (s) { map[s.code] = s; });
    return map;
  }

  function ratingPath() { return "/api/counters/" + counterId + "/rating"; }

  /* The reserved line under the number: the hold countdown, a pause or a closed counter. */
  function stateLine(c) {
    var line = $("counter-state");
    if (hold) {
      var left = Math.max(0, Math.ceil((hold.until - Date.now()) / 1000));
      line.dataset.kind = "hold";
      line.textContent = "Mời công dân số " + hold.number + " đánh giá trên màn hình · tự gọi số tiếp sau "
        + left + " giây · bấm N để gọi ngay";
    } else if (!c.open) {
      line.dataset.kind = "closed";
      line.textContent = "Quầy đang đóng (lãnh đạo mở lại trên trang Điều hành)";
    } else if (c.paused) {
      line.dataset.kind = "paused";
      line.textContent = "Quầy đang tạm dừng: bấm Tiếp tục (P) để gọi số";
    } else {
      line.dataset.kind = "";
      line.textContent = "";
    }
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
    // Someone was called meanwhile (another tab, the supervisor): nothing to wait for any more.
    // A late `state` that still shows the finished citizen does not count.
    if (hold && c.current && c.current.id !== hold.ticket) endHold();
    if (!c.current || !$("transfer").hidden && Number($("transfer").dataset.ticket) !== c.current.id) closeTransfer();
    $("current").textContent = c.current ? c.current.number : "Chưa gọi số";
    $("current").classList.toggle("none", !c.current);
    var field = $("current-field");
    field.textContent = c.current ? (svc[c.current.service] || {}).name || c.current.service : "";
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
    stateLine(c);
    document.querySelector('[data-action="pause"]').hidden = c.paused;
    document.querySelector('[data-action="resume"]').hidden = !c.paused;
    document.querySelector('[data-action="call-next"] .text').textContent =
      c.current ? "Xong và gọi tiếp" : hold ? "Gọi ngay" : "Gọi tiếp";
    document.querySelectorAll("[data-action]").forEach(function (b) {
      b.disabled = !c.open || (b.hasAttribute("data-needs-current") && !c.current)
        || (c.paused && (b.dataset.action === "call-next" || b.dataset.action === "recall"));
    });
    $("no-show-hint").textContent = c.current
      ? "(đang phục vụ số " + c.current.number + ": bấm Xong hoặc Vắng mặt trước khi gọi lại số khác)"
      : "(bấm để gọi lại)";
    $("waiting").replaceChildren.apply($("waiting"), c.services.map(function (code) {
      var li = document.createElement("li"), n = document.createElement("span");
      li.textContent = (svc[code] || { name: code }).name + ":";
      n.className = "num";
      n.textContent = svc[code] ? svc[code].waiting : "?";
      li.append(n);
      return li;
    }));
  }

  /* The no-show list and the number "Gọi tiếp" would call, read again after every change. */
  function loadNoShows() {
    if (noShowsBusy) { noShowsAgain = true; return; }
    noShowsBusy = true;
    var asked = counterId;
    Live.api("GET", "/api/counters/" + asked + "/next").then(function (r) {
      if (asked !== counterId) return;
      // After closing "Gọi tiếp" passes over the citizens the kiosk warned; one can still be called by number.
      $("next-number").textContent = r.number || (r.warned
        ? "hết giờ · " + r.warned + " số đã báo có thể không kịp"
        : "không còn ai chờ");
      var c = mine();   // offered at a free, serving desk only (else the server would refuse it)
      warnedNext = r.number || !c || c.current || c.paused ? null : r.warned_next;
      $("call-warned").hidden = !warnedNext;
      if (warnedNext) $("call-warned").textContent = "Vẫn gọi số " + warnedNext.number;
    }).catch(function () { warnedNext = null; $("call-warned").hidden = true; });
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
        b.onclick = function () { callBack(t); };
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

  /* The note under the buttons and the one undo it offers: {label, action, body} or null. */
  function setUndo(next, text) {
    undo = next;
    $("note-text").textContent = text;
    $("undo").hidden = !next;
    if (next) $("undo-text").textContent = "Hoàn tác: " + next.label;
  }

  function showError(err) {
    if (err.status === 401) showLogin();
    $("error").textContent = ADVICE[err.code] || err.message;
    $("error").dataset.network = String(!err.code || err.code === "network");
  }

  /* After closing: a citizen the kiosk warned, called by number by an officer who stays. */
  $("call-warned").onclick = function () {
    if (busy || !counterId || !warnedNext) return;
    run(post("call", { ticket: warnedNext.id }));
  };

  /* A no-show who came back: only at a free desk (the server says which number is still
     being served otherwise); undone by marking it a no-show again. */
  function callBack(t) {
    if (busy || !counterId) return;
    run(post("call", { ticket: t.id }).then(function () {
      setUndo({ label: "trả " + t.number + " về danh sách vắng mặt", action: "no-show" },
        "Đã gọi lại số " + t.number + ".");
    }));
  }

  function post(action, body) {
    return Live.api("POST", "/api/counters/" + counterId + "/" + action, body || {});
  }

  /* The transfer panel: the officer picks the target field each time (digits or a click). */
  function openTransfer(current) {
    var svc = state.services.filter(function (s) { return s.code !== current.service; });
    choices = svc.slice(0, 9);
    $("transfer").dataset.ticket = current.id;
    $("transfer-number").textContent = current.number;
    $("transfer-fields").replaceChildren.apply($("transfer-fields"), choices.map(function (s, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.dataset.service = s.code;
      b.innerHTML = "<kbd></kbd> <span></span>";
      b.querySelector("kbd").textContent = String(i + 1);
      b.querySelector("span").textContent = s.name;
      b.onclick = function () { transferTo(s); };
      return b;
    }));
    $("transfer").hidden = false;
  }

  function closeTransfer() { $("transfer").hidden = true; choices = []; }

  function transferTo(field) {
    var c = mine(), current = c && c.current;
    closeTransfer();
    if (!current) return;
    var from = (names()[current.service] || { name: current.service }).name;
    run(post("transfer", { service: field.code }).then(function () {
      setUndo({ label: "đưa " + current.number + " về " + from + " và gọi lại", action: "undo-transfer",
                body: { ticket: current.id } }, "Đã chuyển số " + current.number + " sang " + field.name + ".");
    }));
  }

  /* The server holds the next call for the rating of the citizen just served (or the hold's end). */
  function startHold(rating) {
    hold = { number: rating.ticket.number, ticket: rating.ticket.id, until: Date.now() + rating.hold_in * 1000,
             checking: false, timer: setInterval(holdTick, 1000) };
    render();
  }

  function endHold() {
    if (hold) clearInterval(hold.timer);
    hold = null;
  }

  function holdTick() {
    if (!hold) return;
    if (Date.now() >= hold.until) { callAfterHold(); return; }
    stateLine(mine());
    if (hold.checking) return;
    hold.checking = true;
    var waiting = hold;
    Live.api("GET", ratingPath()).then(function (r) {
      waiting.checking = false;
      if (hold === waiting && (!r.ticket || r.ticket.id !== waiting.ticket || r.hold_in <= 0)) callAfterHold();
    }).catch(function () { waiting.checking = false; });
  }

  function callAfterHold() {
    endHold();
    if (busy) return;
    run(callNow(null, false));
  }

  /* `atOnce`: the officer chose not to wait for a rating (N during the hold). */
  function callNow(after, atOnce) {
    return post("call-next", atOnce ? { after: after, now: true } : { after: after }).then(function (reply) {
      setUndo(null, reply && reply.ticket === null ? "Không còn ai đang chờ." : "");
    }).catch(function (err) {
      if (err.code !== "rating_hold") throw err;
      setUndo(null, "");
      startHold(err.data);
    });
  }

  function callNext() {
    var c = mine(), current = c && c.current;
    if (hold) { endHold(); return callNow(null, true); }
    return callNow(current ? current.id : null, false);
  }

  /* One request at a time; afterwards the no-show list is read again. */
  function run(promise) {
    busy = true;
    $("error").textContent = "";
    return Promise.resolve(promise).then(loadNoShows).catch(showError).then(function () { busy = false; render(); });
  }

  function act(action, body, button) {
    if (busy || !counterId || !state) return;
    if (!confirmed(button)) return;
    if (armed && armed !== button) disarm();
    var c = mine(), current = c && c.current;
    if (action === "call-next") { closeTransfer(); run(callNext()); return; }
    endHold();
    if (action === "transfer") {
      if (!$("transfer").hidden) closeTransfer(); else if (current) openTransfer(current);
      return;
    }
    closeTransfer();
    run(post(action, body).then(function () {
      if (action === "no-show" && current) {
        setUndo({ label: "gọi lại " + current.number, action: "call", body: { ticket: current.id } },
          "Đã ghi vắng mặt số " + current.number + ".");
      } else setUndo(null, "");
    }));
  }

  document.querySelectorAll("[data-action]").forEach(function (b) {
    b.disabled = true;                       // until the first `state` says what this counter can do
    b.onclick = function () { act(b.dataset.action, undefined, b); };
  });
  $("undo").onclick = function () {
    if (!undo || busy || !counterId) return;
    var u = undo;
    setUndo(null, "");
    endHold();
    run(post(u.action, u.body));
  };
  $("transfer-cancel").onclick = closeTransfer;

  /* Shortcuts whatever has focus (the counter list included: its type-ahead never sees them);
     captured before any element, so a focused control cannot swallow them. */
  window.addEventListener("keydown", function (e) {
    if ($("desk").hidden || e.ctrlKey || e.altKey || e.metaKey) return;
    var key = e.key.toLowerCase(), b = null;
    if (!$("transfer").hidden && (key === "escape" || /^[1-9]$/.test(key))) {
      e.preventDefault();
      e.stopPropagation();
      if (key === "escape") closeTransfer(); else if (choices[Number(key) - 1]) transferTo(choices[Number(key) - 1]);
      return;
    }
    if (key.length === 1) b = document.querySelector('[data-key="' + key + '"]:not([hidden])');
    if (!b) return;                          // Tab, arrows, Enter keep their usual meaning
    e.preventDefault();
    e.stopPropagation();
    if (document.activeElement && document.activeElement.tagName === "SELECT") document.activeElement.blur();
    if (!e.repeat && !b.disabled) b.click();
  }, true);
  $("counter").onchange = function () {
    counterId = Number(this.value);
    localStorage.setItem("motcua.counter", counterId);
    this.blur();
    setUndo(null, "");
    disarm();
    endHold();
    closeTransfer();
    render();
    announce();
    loadNoShows();
  };
  $("logout").onclick = function () { Live.api("POST", "/api/logout").then(showLogin).catch(showError); };

  var showLogin = Live.staff({
    role: "officer", main: "desk",
    // After the login box is back (it shows once stop returns): a connection without the officer.
    stop: function () { endHold(); closeTransfer(); setTimeout(function () { if (state) announce(); }, 0); },
    start: function (me) {
      $("who").textContent = me && me.name ? me.name : "";
      if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
      loadNoShows();
      if (state) announce();
    }
  });
  /* Presence: the officer is at the counter while this page, logged in, is connected for it.
     The connection says which counter when it opens, so a login or another counter opens a
     new one (the server reads the session from it). */
  var announced = null;
  function announce() {
    var want = $("desk").hidden ? null : counterId;
    if (want !== announced) live.reconnect();
  }
  var live = Live.connect({
    hello: function () {
      announced = $("desk").hidden ? null : counterId;
      return { page: "counter", counter: announced };
    },
    report: function () { return {}; },
    quiet: function () { return !busy && !hold && $("transfer").hidden; },
    state: function (s) {
      state = s;
      render();
      announce();
      if (hold) holdTick();                  // a rating may have just arrived
      if (!$("desk").hidden) loadNoShows();
    },
    status: function (s) {
      $("status").dataset.status = s;
      $("status").textContent = s === "online" ? "● trực tuyến" : "Mất kết nối…";
      if (s === "online" && $("error").dataset.network === "true") $("error").textContent = "";  // stale now
    }
  });
})();
