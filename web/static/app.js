// ipgo — small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
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
