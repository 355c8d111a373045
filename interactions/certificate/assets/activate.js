// The key-generation page (activation and renewal). The key pair is made here with WebCrypto and never
// leaves the browser; node-forge (served from our origin) makes the CSR, and then the PKCS#12 file
// with the certificate the server sends back, the CA beside it, protected by the password typed here
// (which is not sent anywhere). Without WebCrypto the form posts as it is and the server makes the key.
/* global forge */
(function () {
  'use strict';
  var form = document.getElementById('cert-keys');
  if (!form || !window.crypto || !window.crypto.subtle || typeof forge === 'undefined') return;

  var status = document.getElementById('cert-status');
  var errorBox = document.getElementById('cert-error');
  var button = document.getElementById('cert-generate');

  function fail(text) {
    status.hidden = true;
    errorBox.textContent = text;
    errorBox.setAttribute('role', 'alert');
    errorBox.hidden = false;
    button.disabled = false;
  }

  function toBinary(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = '';
    for (var i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return out;
  }

  function fromBinary(text) {
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  async function make(password) {
    var pair = await window.crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true, ['sign', 'verify']);
    var pkcs8 = await window.crypto.subtle.exportKey('pkcs8', pair.privateKey);
    var key = forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(toBinary(pkcs8)));
    var csr = forge.pki.createCertificationRequest();
    csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    csr.setSubject(JSON.parse(form.dataset.subject));
    csr.sign(key, forge.md.sha256.create());
    var csrf = form.dataset.csrf;
    var res = await fetch(form.dataset.csrUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ csrf: csrf, csr: forge.pki.certificationRequestToPem(csr) }),
    });
    var answer = await res.json().catch(function () { return {}; });
    if (!res.ok || !answer.certificate) throw new Error(answer.error_description || ('HTTP ' + res.status));
    var certs = [forge.pki.certificateFromPem(answer.certificate), forge.pki.certificateFromPem(answer.ca)];
    var p12 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: 'aes256', friendlyName: answer.identifier, generateLocalKeyId: true });
    var blob = new Blob([fromBinary(forge.asn1.toDer(p12).getBytes())], { type: 'application/x-pkcs12' });
    return { blob: blob, identifier: answer.identifier };
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    var password = form.elements.p12_password.value;
    if (password.length < Number(form.dataset.minPassword)) return fail(errorBox.dataset.short);
    if (password !== form.elements.p12_password_confirm.value) return fail(errorBox.dataset.mismatch);
    button.disabled = true;
    status.hidden = false;
    make(password).then(function (made) {
      form.elements.p12_password.value = '';
      form.elements.p12_password_confirm.value = '';
      form.hidden = true;
      var link = document.getElementById('cert-download');
      link.href = URL.createObjectURL(made.blob);
      link.download = made.identifier + '.p12';
      document.getElementById('cert-result').hidden = false;
      link.click();
    }, function (err) {
      fail(errorBox.dataset.template.replace('{message}', err && err.message ? err.message : String(err)));
    });
  });
})();
