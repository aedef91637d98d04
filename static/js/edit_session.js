// The heartbeat of an open change form (plans/locks.py): while the form stays open, the browser tells the
// server every few seconds (data-every) that its user is still editing, so that others opening the plan
// are told so and the mark does not expire under them; it stops once the server answers that the mark is
// gone (saved and left, or expired) or that the user may no longer edit.
(function () {
  "use strict";
  var holder = document.getElementById("edit-session");
  var token = document.querySelector("[name=csrfmiddlewaretoken]");
  if (!holder || !token || !window.fetch) return;
  var every = Number(holder.dataset.every) * 1000;
  var timer = window.setInterval(function () {
    window.fetch(holder.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",  // signed out meanwhile: the login page is no answer
      headers: { "X-CSRFToken": token.value },
    }).then(function (response) {
      if (!response.ok) window.clearInterval(timer);
    }).catch(function () { /* offline for a moment: the next beat tries again */ });
  }, every);
})();
