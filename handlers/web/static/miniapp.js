// Sends Telegram's signed initData to the server, which opens the
// person's own page.
(function () {
  var app = window.Telegram && window.Telegram.WebApp;
  if (!app || !app.initData) { return; }
  app.ready();
  document.getElementById('initData').value = app.initData;
  document.getElementById('tg').submit();
})();
