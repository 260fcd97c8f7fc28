// Makes a phone's photo small enough to send (the server takes 1 MB):
// a bigger picture is redrawn as JPEG, at most 1600 px wide or high, and
// smaller again until it fits, before the report form is sent. Without
// this script a big photo is refused with a page that says so.
(function () {
  var form = document.getElementById('report');
  if (!form || !window.DataTransfer || !HTMLCanvasElement.prototype.toBlob) { return; }
  var input = form.querySelector('input[type=file]');
  var limit = 900 * 1024, shrunk = false;
  function shrink(img, side, tries) {
    var scale = Math.min(1, side / Math.max(img.width, img.height));
    var c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(img.width * scale));
    c.height = Math.max(1, Math.round(img.height * scale));
    c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
    c.toBlob(function (blob) {
      if (blob.size > limit && tries > 0) { shrink(img, Math.max(c.width, c.height) * 0.7, tries - 1); return; }
      var dt = new DataTransfer();
      dt.items.add(new File([blob], 'photo.jpg', { type: 'image/jpeg' }));
      input.files = dt.files;
      shrunk = true;
      URL.revokeObjectURL(img.src);
      form.submit();
    }, 'image/jpeg', 0.8);
  }
  form.addEventListener('submit', function (e) {
    var file = input.files && input.files[0];
    if (shrunk || !file || file.size <= limit || !/^image\//.test(file.type)) { return; }
    e.preventDefault();
    var img = new Image();
    img.onload = function () { shrink(img, 1600, 6); };
    img.src = URL.createObjectURL(file);
  });
})();
