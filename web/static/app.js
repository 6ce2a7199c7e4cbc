// ipgo — small progressive enhancements; every page works without this file.
"use strict";
// Pages may style what only works with this script (and tests can tell it ran).
document.documentElement.setAttribute("data-js", "1");
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Upload progress for posting forms; without JavaScript the form posts normally.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !form.hasAttribute("data-upload") || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  event.preventDefault();
  var bar = form.querySelector("progress.upload");
  var button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; }
  if (bar) { bar.hidden = false; }
  var xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.upload.onprogress = function (e) {
    if (bar && e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
  };
  xhr.onload = function () {
    if (xhr.status < 400 && xhr.responseURL) {
      window.location.href = xhr.responseURL;
    } else {
      document.open();
      document.write(xhr.responseText);
      document.close();
    }
  };
  xhr.onerror = function () {
    if (button) { button.disabled = false; }
    if (bar) { bar.hidden = true; }
    window.alert(form.getAttribute("data-upload-failed") || "Upload failed");
  };
  xhr.send(new FormData(form));
});

// "Back" links on error pages: go back in history when there is one (without JavaScript
// they lead home; an inline javascript: URL would be blocked by the CSP).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-back]");
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// Signing with NCALayer, the signing application of the Kazakh NCA on the workstation
// (wss://127.0.0.1:13579). The manifest of the version is sent in base64; NCALayer
// returns a CMS (CAdES) signature in base64, which is posted to the portal. The newer
// `kz.gov.pki.knca.basics` API is tried first, the older `commonUtils` one when the
// installed NCALayer does not know it. Neither call names an algorithm: NCALayer signs
// with the algorithm of the key the user picks (RSA, GOST 34.310-2004, GOST 34.10-2015)
// and, since the data is sent whole (`digested: false`), hashes it with that key's hash
// (SHA-256, GOST 34.311-95, GOST 34.11-2015); the portal verifies each. Pre-hashing here
// would need the key's algorithm first. Without this script every signing place offers a
// file upload. A page may hold several signing places (`[data-ncalayer]`: the document
// page, each signing step of a draft); texts, CSRF token and language come from the place
// itself or from the page's `[data-ncalayer-messages]`.
(function () {
  var boxes = document.querySelectorAll("[data-ncalayer]");
  if (!boxes.length || !window.WebSocket || !window.fetch || !window.Promise) { return; }
  var shared = document.querySelector("[data-ncalayer-messages]");

  function setting(box, name) {
    return box.getAttribute(name) || (shared && shared.getAttribute(name)) || "";
  }

  function base64(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return window.btoa(text);
  }

  // One request on its own connection; resolves with NCALayer's answer (the greeting
  // `{result:{version}}` and heartbeats are skipped).
  function ask(request) {
    return new Promise(function (resolve, reject) {
      var socket, done = false;
      try { socket = new WebSocket("wss://127.0.0.1:13579/"); } catch (e) { reject("unavailable"); return; }
      socket.onopen = function () { socket.send(JSON.stringify(request)); };
      socket.onerror = function () { if (!done) { done = true; reject("unavailable"); } };
      socket.onclose = function () { if (!done) { done = true; reject("unavailable"); } };
      socket.onmessage = function (event) {
        var answer;
        try { answer = JSON.parse(event.data); } catch (e) { return; }
        if (!answer || (answer.result && answer.result.version && answer.status === undefined)) { return; }
        done = true;
        socket.close();
        resolve(answer);
      };
    });
  }

  function signBasics(data, locale) {
    return ask({
      module: "kz.gov.pki.knca.basics",
      method: "sign",
      args: {
        allowedStorages: ["PKCS12", "AKKaztokenStore", "AKKZIDCardStore", "AKEToken72KStore", "AKEToken5110Store", "AKJaCartaStore", "AKAKEYStore"],
        format: "cms",
        data: data,
        signingParams: { decode: true, encapsulate: false, digested: false },
        signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"], chain: [] },
        locale: locale || "ru"
      }
    }).then(function (answer) {
      if (answer.status === true) {
        var result = answer.body && answer.body.result;
        if (Array.isArray(result)) { result = result[0]; }
        if (!result) { throw "cancelled"; }
        return result;
      }
      if (answer.status === undefined) { throw "old"; }
      throw answer.message || answer.code || "failed";
    });
  }

  function signCommon(data) {
    return ask({
      module: "kz.gov.pki.knca.commonUtils",
      method: "createCAdESFromBase64",
      args: ["PKCS12", "SIGNATURE", data, true]
    }).then(function (answer) {
      if (answer.code === "200" && answer.responseObject) { return answer.responseObject; }
      if (answer.message === "action.canceled") { throw "cancelled"; }
      throw answer.message || answer.code || "failed";
    });
  }

  function attach(box) {
    var button = box.querySelector("[data-ncalayer-sign]");
    var status = box.querySelector("[data-ncalayer-status]");
    if (!button || !status) { return; }
    box.hidden = false;

    function say(key, extra) {
      status.textContent = (setting(box, "data-msg-" + key) || key) + (extra ? " " + extra : "");
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      say("connecting");
      fetch(box.getAttribute("data-manifest-url"), { credentials: "same-origin" })
        .then(function (res) {
          if (!res.ok) { throw "manifest " + res.status; }
          return res.arrayBuffer();
        })
        .then(function (buffer) {
          var data = base64(buffer);
          say("waiting");
          return signBasics(data, setting(box, "data-locale")).catch(function (why) {
            if (why === "old") { return signCommon(data); }
            throw why;
          });
        })
        .then(function (cms) {
          say("sending");
          return fetch(box.getAttribute("data-sign-url"), {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "text/plain", "X-CSRF-Token": setting(box, "data-csrf") },
            body: cms
          });
        })
        .then(function (res) {
          if (res.ok) {
            say("done");
            var anchor = box.getAttribute("data-done-anchor");
            if (anchor) { window.location.hash = anchor; }
            window.location.reload();
            return;
          }
          return res.json().then(function (body) {
            button.disabled = false;
            status.textContent = body.message || String(res.status);
          });
        })
        .catch(function (why) {
          button.disabled = false;
          if (why === "unavailable" || why === "cancelled") { say(why); } else { say("failed", String(why)); }
        });
    });
  }

  for (var i = 0; i < boxes.length; i += 1) { attach(boxes[i]); }
})();

// Live updates (Server-Sent Events): the inbox count, and a notice on pages whose object
// changed. Without JavaScript the pages show the same facts on reload.
(function () {
  if (!document.body || !document.body.hasAttribute("data-live") || !window.EventSource) {
    return;
  }
  var source = new EventSource("/api/v1/events");
  source.addEventListener("inbox", function (event) {
    var data = JSON.parse(event.data);
    var count = document.getElementById("inbox-count");
    if (count && typeof data.unread === "number") {
      count.textContent = data.unread > 0 ? String(data.unread) : "";
    }
    // A new notice: its subject, already in this reader's language, in a polite live
    // region linking to the inbox.
    var toast = document.getElementById("live-toast");
    if (toast && data.subject) {
      toast.textContent = "";
      var link = document.createElement("a");
      link.href = "/inbox";
      link.textContent = (toast.getAttribute("data-label") || "") + ": " + data.subject;
      toast.appendChild(link);
    }
  });
  // A poll's count changed: fetch it again (access-checked) and update its panel; at most
  // one request per poll per second however fast ballots arrive.
  var pending = {};
  function refreshPoll(id, panel) {
    pending[id] = false;
    fetch("/api/v1/polls/" + id, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (poll) {
        if (!poll) { return; }
        var turnout = panel.querySelector("[data-poll-turnout]");
        if (turnout) {
          turnout.textContent = (panel.getAttribute("data-turnout") || "")
            .replace("{voted}", poll.voted).replace("{electorate}", poll.electorate);
        }
        var quorum = panel.querySelector("[data-poll-quorum]");
        if (quorum) {
          quorum.textContent = panel.getAttribute(poll.quorum_reached ? "data-quorum-yes" : "data-quorum-no");
        }
        (poll.tally || []).forEach(function (c) {
          var count = panel.querySelector("[data-poll-count='" + c.key + "']");
          var percent = panel.querySelector("[data-poll-percent='" + c.key + "']");
          var meter = panel.querySelector("[data-poll-meter='" + c.key + "']");
          if (count) { count.textContent = String(c.count); }
          if (percent) { percent.textContent = String(c.percent); }
          if (meter) { meter.max = Math.max(poll.voted, 1); meter.value = c.count; }
        });
        var state = panel.getAttribute("data-state");
        if (state && state !== poll.state) {
          var changed = panel.querySelector("[data-poll-changed]");
          if (changed) { changed.hidden = false; }
        }
        panel.setAttribute("data-state", poll.state);
      })
      .catch(function () {});
  }
  var live = document.querySelectorAll("[data-poll-live]");
  for (var i = 0; i < live.length; i += 1) { live[i].hidden = false; }
  source.addEventListener("poll", function (event) {
    var data = JSON.parse(event.data);
    var id = String(data.topic || "").replace("poll:", "");
    var panel = document.querySelector("[data-poll='" + id + "']");
    if (!panel || pending[id]) { return; }
    pending[id] = true;
    window.setTimeout(function () { refreshPoll(id, panel); }, 1000);
  });
  var typed = false;
  document.addEventListener("input", function () { typed = true; });
  document.addEventListener("change", function () { typed = true; });
  source.addEventListener("change", function (event) {
    var data = JSON.parse(event.data);
    var holder = document.querySelector("[data-topic]");
    var notice = document.querySelector(".live-notice");
    if (holder && notice && holder.getAttribute("data-topic") === data.topic) {
      notice.hidden = false;
      // A page that follows its object live (a meeting's current question) loads again,
      // unless the person has started filling a form there (then the notice stays).
      if (holder.hasAttribute("data-follow") && !typed) { window.location.reload(); }
    }
  });
})();
