/* quizapp quiz page: autosave each answer as it is given, a countdown, one submit.
   Progressive enhancement only: without this script every answer is saved when the
   student changes page or submits (the form posts to the server). */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  var status = document.getElementById("save-status");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var pending = {};   // slot -> payload waiting to be (re)sent
  var timers = {};
  var inFlight = 0;

  function say(text) { if (status) { status.textContent = text; } }

  function fieldsOf(article, slot) {
    var fields = {};
    var prefix = "a" + slot;
    article.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || (el.name !== prefix && el.name.indexOf(prefix + "-") !== 0)) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (el.type === "checkbox") { (fields[el.name] = fields[el.name] || []).push(el.value); }
      else { fields[el.name] = el.value; }
    });
    return fields;
  }

  function nextSeq(article, slot) {
    var seqField = article.querySelector('input[name="seq' + slot + '"]');
    var seq = parseInt(seqField.value, 10) || 1;
    seqField.value = String(seq + 1);  // a later save (or the page's form post) is always newer
    return seq;
  }

  function send(slot) {
    var payload = pending[slot];
    if (!payload) { return; }
    inFlight += 1;
    say("Saving…");
    fetch(form.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
    }).then(function (result) {
      inFlight -= 1;
      if (result.ok) {
        if (pending[slot] === payload) { delete pending[slot]; }
        var when = new Date(result.body.saved_at);
        say("Saved at " + when.toLocaleTimeString());
      } else if (result.status === 403 && result.body.error && result.body.error.code === "time_up") {
        say(result.body.error.message);
        window.location.reload();
      } else if (result.status === 401) {
        say("You were signed out. Sign in again: your saved answers are kept.");
      } else {
        delete pending[slot];
        say("Not saved: " + ((result.body.error && result.body.error.message) || "please try again."));
      }
    }).catch(function () {
      inFlight -= 1;
      say("No connection — your answer will be saved when the connection returns.");
      setTimeout(function () { send(slot); }, 4000);
    });
  }

  function queue(article, delay) {
    var slot = article.dataset.slot;
    clearTimeout(timers[slot]);
    timers[slot] = setTimeout(function () {
      pending[slot] = { slot: parseInt(slot, 10), fields: fieldsOf(article, slot), seq: nextSeq(article, slot) };
      send(slot);
    }, delay);
  }

  if (form && form.dataset.saveUrl && window.fetch) {
    form.querySelectorAll("article.question").forEach(function (article) {
      article.addEventListener("change", function () { queue(article, 50); });
      article.addEventListener("input", function (event) {
        if (event.target.type === "text") { queue(article, 600); }
      });
    });
    say("Answers are saved as you go.");
    window.addEventListener("beforeunload", function (event) {
      if (Object.keys(pending).length || inFlight) { event.preventDefault(); event.returnValue = ""; }
    });
    form.addEventListener("submit", function () {
      // The form post saves everything on the page with newer sequence numbers.
      pending = {};
      Object.keys(timers).forEach(function (slot) { clearTimeout(timers[slot]); });
    });
  }

  // Countdown: the server enforces the deadline; this only shows it and submits in time.
  var timer = document.getElementById("timer");
  if (timer && timer.dataset.deadline) {
    var deadline = new Date(timer.dataset.deadline).getTime();
    var warned = false;
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60), seconds = left % 60;
      timer.textContent = "Time left: " + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left <= 60 && !warned) { warned = true; say("One minute left. Your answers are being saved."); }
      if (left === 0 && form) {
        var go = document.createElement("input");
        go.type = "hidden"; go.name = "go"; go.value = "finish";
        form.appendChild(go);
        form.submit();
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }

  // One submit only: a double click sends one request (the server also grades once).
  document.querySelectorAll("form.submit-form").forEach(function (submitForm) {
    submitForm.addEventListener("submit", function () {
      var button = submitForm.querySelector("button[type=submit]");
      if (button) { setTimeout(function () { button.disabled = true; button.textContent = "Submitting…"; }, 0); }
    });
  });
})();
