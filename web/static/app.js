// ipgo — small progressive enhancements; every page works without this file.
"use strict";
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
  });
  source.addEventListener("change", function (event) {
    var data = JSON.parse(event.data);
    var holder = document.querySelector("[data-topic]");
    var notice = document.querySelector(".live-notice");
    if (holder && notice && holder.getAttribute("data-topic") === data.topic) {
      notice.hidden = false;
    }
  });
})();
