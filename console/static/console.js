// The console's only script (no inline scripts: the pages' CSP forbids them).
// 1. A form or button with data-confirm asks before submitting.
// 2. An element with data-poll="url" is replaced by the HTML fragment at url every second while
//    the fragment still carries data-poll (import progress, a mailing's outcomes).
"use strict";

document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

function poll(element) {
  var url = element.dataset.poll;
  window.setTimeout(function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected) {
          // The session ended (logged out elsewhere, staff deactivated): show the login form.
          window.location.assign(response.url);
          return "";
        }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.firstElementChild;
        if (!fresh) { return; }
        element.replaceWith(fresh);
        if (fresh.dataset.poll) { poll(fresh); }
      })
      .catch(function () { poll(element); });
  }, 1000);
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-poll]").forEach(poll);
});
