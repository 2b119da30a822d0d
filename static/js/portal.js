// Copy, print and download for codes shown once. Served from this site (no
// inline script), so a strict Content-Security-Policy holds. Without script
// the buttons stay hidden and the codes can still be written down.
(function () {
  "use strict";

  function textOf(id) {
    var element = document.getElementById(id);
    if (!element) { return ""; }
    if (element.dataset.code) { return element.dataset.code; }
    return Array.prototype.map.call(element.querySelectorAll("li"), function (item) {
      return item.textContent.trim();
    }).join("\n");
  }

  function announce(id, message) {
    var status = document.querySelector('[data-copied-for="' + id + '"]');
    if (status) { status.textContent = message; }
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var id = button.dataset.copy;
      navigator.clipboard.writeText(textOf(id)).then(function () {
        announce(id, button.dataset.copiedMessage);
      });
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Built in the browser from the page, so the codes are not sent a second time.
  document.querySelectorAll("[data-download]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.dataset.heading + "\n\n" + textOf(button.dataset.download) + "\n";
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
      link.download = button.dataset.filename;
      document.body.appendChild(link);
      link.click();
      link.remove();
      // Later, not at once: some browsers would cancel the download.
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
    });
  });
})();
