/* Reports page login: the report itself is drawn by the server, so this only logs in. */
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  form.onsubmit = function (e) {
    e.preventDefault();
    Live.api("POST", "/api/login", { token: document.getElementById("token").value })
      .then(function (me) {
        if (me.role !== "supervisor") throw new Error("Cần mã của lãnh đạo.");
        location.reload();
      })
      .catch(function (err) { document.getElementById("login-error").textContent = err.message; });
  };
})();
