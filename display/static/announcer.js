/*
 * Announcer: speaks queue calls on the waiting-hall display.
 *
 * Each announcement ({text, lang, clips, recall, id?}, built by shared/voice.py) is played
 * as: chime, then the recorded clips joined back to back (Web Audio, so there are no gaps
 * between words), or the browser's own voice reading `text` when there are no usable clips,
 * or the chime alone when the browser has no voice for the language. Items play strictly
 * one after another and every item ends, even when audio is blocked, muted or missing,
 * because every step has a timeout: a stalled hall display is worse than a silent call.
 *
 * Plain script, no modules or dependencies: include it and use window.Announcer.
 */
(function (global) {
  "use strict";

  var MODES = ["auto", "clips", "speech", "chime"];
  var LOG_LIMIT = 2000;
  var settings = {
    base: "/display/static/voice/default/",
    chime: null,        // null: "chime.ogg" in the folder above base
    mode: "auto",       // auto | clips | speech | chime (the server resolves auto)
    gap: 0.06,          // seconds of silence between clips
    chimeGap: 0.3,      // seconds between the chime and the words
    rate: 0.9,          // Web Speech rate: a little slower carries better in a hall
    pad: 2500           // ms added to every expected duration before giving up on it
  };
  var queue = [];
  var busy = false;
  var nextId = 1;
  var ctx = null;
  var buffers = {};     // url -> Promise<AudioBuffer>
  var manifest = null;  // Promise<{name: file} | null>
  var active = [];      // finishers of the steps in progress, for the hard time limit

  function noop() {}
  function now() { return global.performance ? global.performance.now() : Date.now(); }

  function record(id, event, via) {
    var entry = {id: id, event: event, at: now()};
    if (via) entry.via = via;
    Announcer.log.push(entry);
    if (Announcer.log.length > LOG_LIMIT) Announcer.log.splice(0, Announcer.log.length - LOG_LIMIT);
    if (typeof Announcer.onevent === "function") {
      try { Announcer.onevent(entry); } catch (e) { /* a listener must not stall the queue */ }
    }
  }

  /* Run start(done) and resolve with done's value, or with false after ms. start may return
     a cleanup(ok) function, called once either way, so timed-out sound is silenced. */
  function settleWithin(ms, start) {
    return new Promise(function (resolve) {
      var finished = false, cleanup = null, timer;
      function done(ok) {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (active.indexOf(done) >= 0) active.splice(active.indexOf(done), 1);
        if (typeof cleanup === "function") { try { cleanup(ok); } catch (e) { /* ignore */ } }
        resolve(ok);
      }
      timer = setTimeout(function () { done(false); }, ms);
      active.push(done);
      try { cleanup = start(done); } catch (e) { done(false); }
      if (finished && typeof cleanup === "function") { try { cleanup(false); } catch (e) { /* ignore */ } }
    });
  }

  function audioContext() {
    if (!ctx) {
      var AC = global.AudioContext || global.webkitAudioContext;
      try { ctx = AC ? new AC() : null; } catch (e) { ctx = null; }
    }
    return ctx;
  }

  function chimeUrl() {
    return settings.chime || settings.base.replace(/[^\/]*\/?$/, "") + "chime.ogg";
  }

  function loadManifest() {
    if (!manifest) {
      var base = settings.base;
      manifest = (global.fetch ? fetch(base + "manifest.json") : Promise.reject(new Error("no fetch")))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) { return m && m.clips ? m.clips : null; })
        .catch(function () { return null; })
        .then(function (clips) {
          if (!clips && settings.base === base) manifest = null;  // retry after a network blip
          return clips;
        });
    }
    return manifest;
  }

  /* Clip names -> URLs; null when the manifest says a clip is missing. */
  function clipUrls(names) {
    return loadManifest().then(function (files) {
      var urls = [];
      for (var i = 0; i < names.length; i++) {
        var file = files ? files[names[i]] : names[i] + ".ogg";
        if (!file) return null;
        urls.push(settings.base + encodeURIComponent(file));
      }
      return urls;
    });
  }

  function loadBuffer(url) {
    if (!buffers[url]) {
      var ac = audioContext();
      buffers[url] = fetch(url)
        .then(function (r) { if (!r.ok) throw new Error(url + ": HTTP " + r.status); return r.arrayBuffer(); })
        .then(function (data) {
          return new Promise(function (ok, fail) { ac.decodeAudioData(data, ok, fail); });
        });
      buffers[url].catch(function () { delete buffers[url]; });
    }
    return buffers[url];
  }

  /* Decode every URL up front (all or nothing); resolves to a playable or null. */
  function prepare(urls, gaps) {
    if (!urls.length) return Promise.resolve(null);
    if (audioContext() && global.fetch) {
      return settleWithin(10000, function (done) {
        Promise.all(urls.map(loadBuffer)).then(done, function () { done(false); });
      }).then(function (list) { return list ? webAudioPlayable(list, gaps) : null; });
    }
    return elementsPlayable(urls);
  }

  function webAudioPlayable(list, gaps) {
    return function play() {
      var ac = audioContext(), total = 0;
      list.forEach(function (b, i) { total += b.duration + (gaps[i] || 0); });
      var resumed = ac.state === "running" ? Promise.resolve() : settleWithin(500, function (done) {
        if (ac.resume) ac.resume().then(done, done);
      });
      return resumed.then(function () {
        // Still blocked (no click yet, no kiosk flag): nothing can be heard, so don't hold the queue.
        if (ac.state !== "running") return false;
        return schedule(ac, list, gaps, total);
      });
    };
  }

  /* Start every buffer at its exact time on the audio clock: seamless joins. */
  function schedule(ac, list, gaps, total) {
    return settleWithin(total * 1000 + settings.pad, function (done) {
      var sources = [], t = ac.currentTime + 0.05;
      list.forEach(function (buffer, i) {
        var src = ac.createBufferSource();
        src.buffer = buffer;
        src.connect(ac.destination);
        src.start(t);
        t += buffer.duration + (gaps[i] || 0);
        sources.push(src);
      });
      sources[sources.length - 1].onended = function () { done(true); };
      return function () {
        sources.forEach(function (s) {
          try { s.onended = null; s.stop(); s.disconnect(); } catch (e) { /* already stopped */ }
        });
      };
    });
  }

  /* Fallback for browsers without Web Audio: preloaded <audio> elements, one after another. */
  function elementsPlayable(urls) {
    var els = urls.map(function (u) { var a = new Audio(); a.preload = "auto"; a.src = u; return a; });
    return Promise.all(els.map(function (a) {
      return settleWithin(8000, function (done) {
        a.addEventListener("canplaythrough", function () { done(true); });
        a.addEventListener("error", function () { done(false); });
        a.load();
      });
    })).then(function (ready) {
      if (ready.indexOf(false) >= 0) return null;
      return function play() {
        return els.reduce(function (chain, a) {
          return chain.then(function (ok) {
            if (!ok) return false;
            var ms = (isFinite(a.duration) ? a.duration * 1000 : 5000) + settings.pad;
            return settleWithin(ms, function (done) {
              a.onended = function () { done(true); };
              a.onerror = function () { done(false); };
              var p = a.play();
              if (p && p.catch) p.catch(function () { done(false); });
              return function () { a.pause(); };
            });
          });
        }, Promise.resolve(true));
      };
    });
  }

  function voicesReady() {
    if (!global.speechSynthesis) return Promise.resolve([]);
    var voices = global.speechSynthesis.getVoices() || [];
    if (voices.length) return Promise.resolve(voices);
    return settleWithin(1000, function (done) {
      global.speechSynthesis.addEventListener("voiceschanged", function () { done(true); });
    }).then(function () { return global.speechSynthesis.getVoices() || []; });
  }

  function findVoice(lang) {
    if (!global.SpeechSynthesisUtterance) return Promise.resolve(null);
    var want = String(lang || "vi-VN").toLowerCase().replace("_", "-"), base = want.split("-")[0];
    return voicesReady().then(function (voices) {
      var close = null;
      for (var i = 0; i < voices.length; i++) {
        var l = String(voices[i].lang || "").toLowerCase().replace("_", "-");
        if (l === want) return voices[i];
        if (!close && l.split("-")[0] === base) close = voices[i];
      }
      return close;
    });
  }

  function speak(item, voice) {
    var synth = global.speechSynthesis;
    return settleWithin(3000 + item.text.length * 120 / settings.rate, function (done) {
      var u = new global.SpeechSynthesisUtterance(item.text);
      u.lang = item.lang || "vi-VN";
      u.voice = voice;
      u.rate = settings.rate;
      u.onend = function () { done(true); };
      u.onerror = function () { done(false); };
      synth.cancel();  // clears Chrome's occasional stuck queue; nothing else of ours is speaking
      synth.speak(u);
      return function (ok) { if (!ok) synth.cancel(); };
    });
  }

  /* One item, resolving to how it was heard: "clips", "speech" or "chime". Every sound
     step first checks item.over, so a chain outlived by the hard limit stays silent. */
  function perform(item) {
    var mode = settings.mode;
    var names = (mode === "auto" || mode === "clips") && item.clips && item.clips.length ? item.clips : null;
    var run = function (play) { return play && !item.over ? play() : Promise.resolve(false); };
    var chimeOnly = function () { return prepare([chimeUrl()], [0]).then(run); };
    if (mode === "chime") return chimeOnly().then(function () { return "chime"; });
    var clips = names ? clipUrls(names).then(function (urls) {
      if (!urls) return null;
      var gaps = urls.map(function () { return settings.gap; });
      return prepare([chimeUrl()].concat(urls), [settings.chimeGap].concat(gaps)).then(function (play) {
        return play || prepare(urls, gaps);  // a missing chime must not cost the words
      });
    }) : Promise.resolve(null);
    return clips.then(function (play) {
      if (play) return run(play).then(function () { return "clips"; });
      return findVoice(item.lang).then(function (voice) {
        if (!voice || !item.text) return chimeOnly().then(function () { return "chime"; });
        return chimeOnly().then(function () {
          return run(function () { return speak(item, voice); });
        }).then(function () { return "speech"; });
      });
    });
  }

  function pump() {
    if (busy || !queue.length) return;
    busy = true;
    var item = queue.shift();
    record(item.id, "start");
    var timer = null;
    var finish = function (via) {
      if (item.over) return;
      item.over = true;
      clearTimeout(timer);
      active.slice().forEach(function (done) { done(false); });  // silence whatever is left
      record(item.id, "end", typeof via === "string" ? via : "error");
      busy = false;
      setTimeout(pump, 0);
    };
    // Belt and braces: every step has its own timeout, but the queue must never stall.
    timer = setTimeout(function () { finish("timeout"); }, 60000 + item.text.length * 200);
    perform(item).then(finish, finish);
  }

  var Announcer = {
    /** Every start/end as {id, event: "start" | "end", at: performance.now(), via?}. */
    log: [],
    /** Optional listener called with each log entry (e.g. to highlight the called number). */
    onevent: null,

    /** Queue one announcement ({text, lang, clips, recall, id?}); returns its id. */
    enqueue: function (announcement) {
      var item = {}, a = announcement || {};
      for (var k in a) if (Object.prototype.hasOwnProperty.call(a, k)) item[k] = a[k];
      if (item.id === undefined || item.id === null) item.id = nextId++;
      item.text = item.text ? String(item.text) : "";
      queue.push(item);
      pump();
      return item.id;
    },

    /** Items not yet finished, including the one playing. */
    pending: function () { return queue.length + (busy ? 1 : 0); },

    /** Settings: base (clip folder URL), chime (URL), mode, gap, chimeGap, rate, pad. */
    configure: function (opts) {
      opts = opts || {};
      if (opts.base) {
        settings.base = String(opts.base).replace(/\/?$/, "/");
        manifest = null;
      }
      if (opts.mode !== undefined) settings.mode = MODES.indexOf(opts.mode) >= 0 ? opts.mode : "auto";
      ["chime", "gap", "chimeGap", "rate", "pad"].forEach(function (k) {
        if (opts[k] !== undefined) settings[k] = opts[k];
      });
      return JSON.parse(JSON.stringify(settings));
    },

    /** Call from a click or key press: browsers keep audio and speech locked until then. */
    unlock: function () {
      var ac = audioContext(), waits = [];
      if (ac) {
        if (ac.resume) waits.push(ac.resume().catch(noop));
        try {
          var s = ac.createBufferSource();
          s.buffer = ac.createBuffer(1, 1, 22050);
          s.connect(ac.destination);
          s.start(0);
        } catch (e) { /* ignore */ }
      }
      if (global.speechSynthesis && global.SpeechSynthesisUtterance && !busy) {
        try {
          var u = new global.SpeechSynthesisUtterance(" ");
          u.volume = 0;
          global.speechSynthesis.speak(u);
        } catch (e) { /* ignore */ }
      }
      return Promise.all(waits).then(function () { return !Announcer.needsUnlock(); });
    },

    /** True while the browser still blocks sound (show a "click to enable sound" hint). */
    needsUnlock: function () {
      var ac = audioContext();
      return !!ac && ac.state !== "running";
    },

    /** Fetch and decode the whole clip set now, so the first call is not delayed. */
    preload: function () {
      return loadManifest().then(function (files) {
        if (!files || !audioContext() || !global.fetch) return 0;
        var urls = Object.keys(files).map(function (n) { return settings.base + encodeURIComponent(files[n]); });
        urls.push(chimeUrl());
        return Promise.all(urls.map(function (u) { return loadBuffer(u).then(function () { return 1; }, function () { return 0; }); }))
          .then(function (ok) { return ok.reduce(function (a, b) { return a + b; }, 0); });
      });
    },

    /** Play a sample call (the same one shared/voice.py builds for "1023", "Quầy số 5"). */
    test: function () {
      return Announcer.enqueue({
        id: "test-" + nextId++,
        text: "Mời công dân có số thứ tự một nghìn không trăm hai mươi ba đến quầy số năm",
        lang: "vi-VN",
        recall: false,
        clips: ["mowif_coong_daan_cos_soos_thuws_tuwj", "mootj", "nghinf", "khoong", "trawm",
                "hai", "muwowi", "ba", "ddeens", "quaayf", "soos", "nawm"]
      });
    }
  };

  if (global.speechSynthesis && global.speechSynthesis.getVoices) {
    try { global.speechSynthesis.getVoices(); } catch (e) { /* warms Chrome's voice list */ }
  }
  global.Announcer = Announcer;
})(window);
