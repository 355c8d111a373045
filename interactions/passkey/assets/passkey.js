// Passkeys in the browser: a static file of our origin (the pages allow no inline script), using the
// @simplewebauthn/browser bundle served beside it (window.SimpleWebAuthnBrowser). The element
// #passkey says what to do (data-mode) and carries the endpoint, the form token and the messages.
//   second-factor  the login's second factor: "Use my passkey" asks the browser, then posts the form
//   passwordless   beside the identify page: the browser's autofill (conditional UI) and a button
//   register       the account page: create a passkey with the name typed in #passkey-add
(function () {
  'use strict';
  var root = document.getElementById('passkey');
  if (!root) return;
  var W = window.SimpleWebAuthnBrowser;
  var data = root.dataset;
  var mode = data.mode;
  var button = document.getElementById('passkey-start');

  function show(message) {
    var box = document.getElementById('passkey-status');
    if (!box) {
      box = document.createElement('p');
      box.id = 'passkey-status';
      box.className = 'error';
      box.setAttribute('role', 'alert');
      root.insertBefore(box, root.firstChild);
    }
    box.textContent = message;
  }

  function busy(on) {
    if (button) button.disabled = on;
  }

  // A refusal of the browser: cancelled or timed out (NotAllowedError), or another failure.
  function browserError(err) {
    if (err && (err.name === 'AbortError' || err.code === 'ERROR_CEREMONY_ABORTED')) return undefined; // replaced by another request
    if (err && (err.name === 'NotAllowedError' || err.name === 'InvalidStateError' && mode !== 'register')) return data.msgCancelled;
    if (err && err.name === 'InvalidStateError') return data.msgDuplicate || data.msgFailed;
    return data.msgFailed;
  }

  function ServerError(message) { this.message = message; }

  async function post(url, body) {
    var res;
    try {
      res = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': data.csrf },
        body: JSON.stringify(Object.assign({ csrf: data.csrf }, body)),
      });
    } catch (e) {
      throw new ServerError(data.msgFailed);
    }
    var answer = {};
    try { answer = await res.json(); } catch (e) { /* an error page */ }
    if (!res.ok || answer.error) throw new ServerError(answer.error || data.msgFailed);
    return answer;
  }

  function finish() {
    var form = document.createElement('form');
    form.method = 'post';
    form.action = data.endpoint;
    var fields = { csrf: data.csrf, step: data.step, op: 'finish' };
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  async function signIn(autofill) {
    var got = await post(data.endpoint, { step: data.step, op: 'options' });
    var response = await W.startAuthentication({ optionsJSON: got.options, useBrowserAutofill: autofill });
    busy(true);
    await post(data.endpoint, { step: data.step, op: 'verify', response: response });
    finish();
  }

  function failed(err) {
    busy(false);
    var message = err instanceof ServerError ? err.message : browserError(err);
    if (message) show(message);
  }

  if (!W || !W.browserSupportsWebAuthn()) {
    show(data.msgUnsupported);
    if (button) button.disabled = true;
    return;
  }

  if (mode === 'register') {
    var form = document.getElementById('passkey-add');
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      busy(true);
      try {
        var name = form.elements.name.value;
        var got = await post(data.optionsUrl, { name: name });
        var response = await W.startRegistration({ optionsJSON: got.options });
        var done = await post(data.registerUrl, { response: response });
        window.location.assign(done.location);
      } catch (err) {
        failed(err);
      }
    });
    return;
  }

  if (button) {
    button.addEventListener('click', function () {
      busy(true);
      signIn(false).catch(failed);
    });
  }
  if (mode === 'passwordless') {
    // The user-name field offers the passkeys in its autofill, where the browser can.
    // Nothing was asked of the user: only a refusal of a passkey they picked is shown.
    W.browserSupportsWebAuthnAutofill().then(function (yes) {
      if (yes) signIn(true).catch(function (err) { if (err instanceof ServerError) failed(err); });
    });
  }
})();
