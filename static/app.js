// hairyo: drag-and-drop and upload progress for the upload form. Without it, the form
// still works as an ordinary multipart POST.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = form.querySelector("input[type=file]");
    var zone = document.getElementById("drop-zone");
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var max = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    function say(text) { status.textContent = text; }
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        say("選択したファイル：" + input.files[0].name);
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var file = input.files[0];
      if (!file) { say("ファイルを選んでください。"); return; }
      if (max && file.size > max) { say("ファイルが大きすぎます（上限 " + Math.floor(max / 1048576) + "MB）。"); return; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) { var p = Math.round(ev.loaded * 100 / ev.total); bar.value = p; bar.textContent = p + "%"; }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) { window.location.assign(xhr.responseURL); return; }
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var m = doc.querySelector(".error-message");
        say(m ? m.textContent : "アップロードに失敗しました。");
        bar.value = 0;
      });
      xhr.addEventListener("error", function () { say("通信に失敗しました。もう一度お試しください。"); });
      say("アップロード中…");
      xhr.send(new FormData(form));
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
