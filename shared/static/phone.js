/* Phone status page: the citizen's own ticket, refreshed on every `state` from the server. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var root = $("ticket"), token = root.dataset.token, inflight = false, again = false;
  var STATUS = {
    waiting: ["Đang chờ đến lượt", "Waiting for your turn"],
    called: ["Mời bạn đến quầy ngay", "Please go to the counter now"],
    done: ["Đã phục vụ xong. Cảm ơn bạn!", "Served. Thank you!"],
    no_show: ["Bạn đã được gọi nhưng vắng mặt. Hãy báo cán bộ tại quầy.", "You were called but were away. Please tell a counter officer."],
    cancelled: ["Số này đã hết hiệu lực (hết ngày làm việc).", "This number has expired (the working day ended)."]
  };
  // The counter that called a no-show is where it can be called back.
  var NO_SHOW_AT = ["Bạn đã được gọi nhưng vắng mặt. Hãy đến {counter} và báo cán bộ để được gọi lại.",
                    "You were called but were away. Go to {counter} and tell the officer to be called again."];

  function two(vi, en) {
    var frag = document.createDocumentFragment();
    frag.append(vi);
    var s = document.createElement("span");
    s.className = "en";
    s.textContent = en;
    frag.append(s);
    return frag;
  }

  function duration(m, hours, mins) {
    return Math.floor(m / 60) ? hours.replace("{h}", Math.floor(m / 60)).replace("{m}", m % 60) : mins.replace("{m}", m);
  }

  /* shared/estimate.py's estimate as words; it follows every `state`, so it moves with the queue. */
  function estimateText(t) {
    var e = t.estimate;
    if (t.status !== "waiting") return two("–", "");
    // After closing the counters call only the numbers the kiosk gave a time (shared/queue.py).
    if (e.late) return two("Có thể không kịp trong hôm nay: sau giờ làm việc, quầy chỉ gọi các số đã được báo giờ",
                           "You may not be served today: after closing, the counters call only the numbers given a time");
    if (e.minutes === 0) return two("Sắp đến lượt", "Very soon");
    if (e.minutes) {
      return two("khoảng " + duration(e.minutes, "{h} giờ {m} phút", "{m} phút") + (e.after ? " (sau " + e.after + ")" : ""),
                 "about " + duration(e.minutes, "{h} h {m} min", "{m} min") + (e.after ? " (after " + e.after + ")" : ""));
    }
    if (e.reason === "no_officer") return two("Chưa có cán bộ tại quầy", "No officer at the counter yet");
    return two("Chưa có quầy mở", "No counter open yet");
  }

  function draw(t) {
    if (t.status === "called" && root.dataset.status === "waiting" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
    root.dataset.status = t.status;
    $("number").textContent = t.number;
    $("field").textContent = t.service_name + (t.priority ? " · Ưu tiên" : "");
    var s = STATUS[t.status] || [t.status, ""];
    if (t.status === "no_show" && t.counter) s = NO_SHOW_AT.map(function (text) { return text.replace("{counter}", t.counter.name); });
    $("status-text").replaceChildren(two(s[0], s[1]));
    $("where").textContent = (t.status === "called" || t.status === "no_show") && t.counter ? "→ " + t.counter.name : "";
    $("ahead").textContent = t.status === "waiting" ? t.ahead : "–";
    $("estimate").replaceChildren(estimateText(t));
    $("estimate").classList.toggle("soft", t.status === "waiting" && t.estimate.minutes === null && !t.estimate.late);
    var list = t.counters.map(function (c) {
      var li = document.createElement("li"), name = document.createElement("span"), num = document.createElement("span");
      name.textContent = c.name;
      num.className = "num";
      num.textContent = !c.staffed ? "chưa có cán bộ" : c.paused ? "tạm dừng" : (c.current || "—");
      if (!c.staffed) li.className = "unstaffed";
      li.append(name, num);
      return li;
    });
    if (!list.length) {
      var li = document.createElement("li");
      li.textContent = "Chưa có quầy nào mở cho lĩnh vực này";
      list.push(li);
    }
    $("serving").replaceChildren.apply($("serving"), list);
    $("updated").textContent = "Cập nhật lúc " + Live.clockText(t.at);
    document.title = t.number + " · " + s[0];
  }

  /* One request at a time; a change that arrives meanwhile asks once more afterwards. */
  function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    Live.api("GET", "/api/t/" + encodeURIComponent(token)).then(draw).catch(function () {})
      .then(function () {
        inflight = false;
        if (again) { again = false; refresh(); }
      });
  }

  Live.connect({
    state: refresh,
    called: refresh,
    status: function (s) {
      $("status").dataset.status = s;
      $("status").textContent = s === "online" ? "● trực tiếp" : "Đang kết nối lại…";
      root.classList.toggle("stale", s !== "online");
    }
  });
  refresh();
  // Phones sleep and drop sockets: refresh when the page is looked at again.
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
