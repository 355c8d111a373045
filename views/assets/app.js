// The pages' one script, served from this server (the CSP allows no other and nothing inline). It
// only adds to pages that work without it: a "show" button for password fields, a "copy" button, and
// the countdown before a new code may be asked for (the button is disabled until then).
(function () {
  'use strict';
  var lang = document.documentElement.lang || 'it';

  // Show or hide a password field's text.
  document.querySelectorAll('button[data-reveal]').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-reveal'));
    if (!input) return;
    var set = function (shown) {
      input.type = shown ? 'text' : 'password';
      button.textContent = button.getAttribute(shown ? 'data-hide' : 'data-show');
      button.setAttribute('aria-label', button.getAttribute(shown ? 'data-hide-label' : 'data-show-label'));
    };
    button.hidden = false;
    button.addEventListener('click', function () { set(input.type === 'password'); input.focus(); });
    // Sent as a password field, so that the browser treats it as one.
    if (input.form) input.form.addEventListener('submit', function () { set(false); });
  });

  // Copy a value (e.g. the authenticator app's key) to the clipboard.
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var source = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-status'));
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = source.getAttribute('data-value') || source.textContent.replace(/\s+/g, '');
      navigator.clipboard.writeText(text).then(function () {
        if (status) status.textContent = button.getAttribute('data-done');
      }, function () {
        if (status) status.textContent = button.getAttribute('data-failed');
      });
    });
  });

  // Count down to the moment a new code may be asked for, then enable the button.
  var minutes = window.Intl && Intl.NumberFormat ? new Intl.NumberFormat(lang, { style: 'unit', unit: 'minute', unitDisplay: 'long' }) : null;
  var seconds = window.Intl && Intl.NumberFormat ? new Intl.NumberFormat(lang, { style: 'unit', unit: 'second', unitDisplay: 'long' }) : null;
  var and = window.Intl && Intl.ListFormat ? new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' }) : null;
  function duration(s) {
    if (!minutes || !seconds || !and) return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
    var parts = [];
    if (s >= 60) parts.push(minutes.format(Math.floor(s / 60)));
    if (s % 60 || s < 60) parts.push(seconds.format(s % 60));
    return and.format(parts);
  }
  document.querySelectorAll('button[data-wait]').forEach(function (button) {
    var until = Date.now() + Number(button.getAttribute('data-wait')) * 1000;
    var note = document.getElementById(button.getAttribute('data-wait-note'));
    var clock = note && note.querySelector('[data-countdown]');
    var tick = function () {
      var left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      if (clock) clock.textContent = duration(left);
      if (left > 0) { window.setTimeout(tick, 1000); return; }
      button.disabled = false;
      if (note) note.hidden = true;
    };
    tick();
  });
}());
