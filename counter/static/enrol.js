/* The enrolment page: the link alone uses nothing (a chat app's preview fetches it too);
   this button uses the one-time code, and the server sets this browser's device cookie. */
(function () {
  "use strict";
  var page = document.getElementById("enrol-page");
  document.getElementById("enrol").addEventListener("click", function () {
    this.disabled = true;
    Live.api("POST", "/api/devices/enrol", { code: page.dataset.code, browser: true }).then(function (made) {
      location.replace(made.landing);
    }, function (err) {
      document.getElementById("error").textContent = err.message;
    });
  });
})();
