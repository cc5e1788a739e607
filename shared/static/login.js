/* The login page a guarded address answers (shared/templates/login_page.html): once logged
   in with the role it asks for, the address is loaded again and shows its own page. */
Live.login(document.getElementById("login-page").dataset.role, function () { location.reload(); });
