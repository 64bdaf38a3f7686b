// The import page (/import): an upload progress bar, and the live state and progress of a confirmed run.
// Without this script the page still works: the form posts normally and a <noscript> refresh polls.
(function () {
  "use strict";

  function uploadWithProgress(form) {
    var bar = document.getElementById("intake-progress");
    var button = document.getElementById("intake-submit");
    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !window.FormData) {
        return;
      }
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "text/html");
      bar.classList.remove("d-none");
      button.disabled = true;
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((100 * e.loaded) / e.total);
          bar.firstElementChild.style.width = percent + "%";
          bar.firstElementChild.textContent = percent + "%";
        }
      });
      request.addEventListener("load", function () {
        if (request.responseURL && request.status < 400) {
          window.location.assign(request.responseURL);
        } else {
          document.open();
          document.write(request.responseText);
          document.close();
        }
      });
      request.addEventListener("error", function () {
        button.disabled = false;
        bar.classList.add("d-none");
      });
      request.send(new FormData(form));
    });
  }

  // The confirmed run's progress bar: width and percentage, then stage, files and rows under it.
  function showProgress(progress) {
    var bar = document.getElementById("intake-run-progress");
    var detail = document.getElementById("intake-run-detail");
    if (!progress || !bar) {
      return;
    }
    bar.setAttribute("aria-valuenow", String(progress.percent));
    bar.firstElementChild.style.width = progress.percent + "%";
    bar.firstElementChild.textContent = progress.percent + "%";
    if (detail) {
      detail.textContent = progress.stage_text + " · " + progress.detail;
    }
  }

  function followRun(state) {
    var active = ["queued", "waiting", "running"];
    if (active.indexOf(state.dataset.state) < 0) {
      return;
    }
    var timer = window.setInterval(function () {
      fetch(state.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          state.textContent = body.state_text;
          showProgress(body.progress);
          if (active.indexOf(body.state) < 0) {
            window.clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () {});
    }, 1500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("intake-upload-form");
    if (form) {
      uploadWithProgress(form);
    }
    var state = document.getElementById("intake-state");
    if (state) {
      followRun(state);
    }
  });
})();
