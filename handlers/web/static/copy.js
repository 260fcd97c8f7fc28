// 复制到群里: copies a text to paste into a group, selecting it where the
// clipboard cannot be written (an old phone, a page not over https).
document.querySelectorAll("button.copy").forEach(function (b) {
  b.addEventListener("click", function () {
    var t = b.previousElementSibling;
    var done = function () { b.textContent = b.dataset.done; };
    var fallback = function () {
      t.focus();
      t.select();
      t.setSelectionRange(0, t.value.length);
      try {
        if (document.execCommand("copy")) { done(); return; }
      } catch (e) {}
      b.textContent = b.dataset.fail;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(t.value).then(done, fallback);
    } else {
      fallback();
    }
  });
});
