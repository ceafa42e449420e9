// SPDX-License-Identifier: MIT
// The sfsync admin page: sign-in, the integration (connection, settings,
// manual pulls), runs, sync errors and contacts, over the JSON API that
// docs/api.md describes. Plain DOM code without a framework or build
// step. Text from the server is always set with textContent, never parsed
// as HTML.
'use strict';

(() => {
  const PULL_POLL_MS = 500;
  const SEARCH_DEBOUNCE_MS = 300;
  const CONTACTS_PAGE_SIZE = 25;
  const RUNS_LIMIT = 30;
  // How often the page reloads the connection while the tab is visible, so
  // that a broken connection shows on every view without a reload.
  const CONNECTION_POLL_MS = 15000;
  // The connect form's last login URL and client id, kept between visits
  // so that Reconnect needs no typing. The client secret is never kept.
  const CONNECT_STORAGE_KEY = 'sfsync.connect';

  const state = {
    user: null,
    csrf: null,
    integration: null,
    pullRunId: null,
    contactsQuery: '',
    contactsOffset: 0,
    contact: null,
    chartRuns: null,
  };

  const $ = (id) => document.getElementById(id);

  // An error reply of the API, with its code, message and field.
  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      const e = (body && body.error) || {};
      super(e.message || `the server answered ${status}`);
      this.status = status;
      this.code = e.code || null;
      this.field = e.field || null;
      this.contactId = e.contact_id || null;
      this.retryAfter = retryAfter;
    }
  }

  // Send one API request and return the parsed body (null for 204).
  // State-changing requests carry the session's CSRF token. A 401 outside
  // sign-in means the session ended, so the page shows the sign-in form.
  async function api(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (method !== 'GET' && state.csrf) {
      init.headers['X-CSRF-Token'] = state.csrf;
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, { error: {
        code: 'network',
        message: 'the server cannot be reached: check that sfsync serve '
          + 'is running, then try again',
      } });
    }
    const text = res.status === 204 ? '' : await res.text();
    let parsed = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        parsed = null;
      }
    }
    if (!res.ok) {
      const err = new ApiError(res.status, parsed,
        Number(res.headers.get('Retry-After')) || null);
      if (res.status === 401 && path !== '/api/session') {
        signedOut('Your session ended. Sign in again.');
      }
      throw err;
    }
    return { body: parsed, headers: res.headers };
  }

  function setMessage(el, text, kind) {
    el.textContent = text || '';
    el.classList.toggle('error', kind === 'error');
    el.classList.toggle('ok', kind === 'ok');
  }

  let toastTimer = null;
  function toast(text) {
    const el = $('toast');
    el.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.textContent = ''; }, 4000);
  }

  // Ask for confirmation in the page's dialog; resolves to true or false.
  function confirmDialog(title, text, okLabel) {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => {
        resolve(dialog.returnValue === 'ok');
      }, { once: true });
    });
  }

  function formatTime(iso) {
    if (!iso) return 'never';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toLocaleString(undefined, {
      year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
  }

  // A server message ("token revoked") as a sentence ("Token revoked.").
  function sentence(text) {
    const t = String(text).trim();
    if (!t) return t;
    const first = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?]$/.test(first) ? first : `${first}.`;
  }

  function isAdmin() {
    return state.user && state.user.role === 'admin';
  }

  // Field errors go into the element with the id PREFIX + FIELD + "-error"
  // next to the input, and the input gets aria-invalid.
  function clearFieldErrors(form) {
    for (const el of form.querySelectorAll('.error-text')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
    }
  }

  function showFieldError(form, prefix, field, message) {
    const target = $(`${prefix}${field}-error`);
    if (!target) return false;
    target.textContent = message;
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
    return true;
  }

  /* ---------------------------------------------------------------
   * Session
   * ------------------------------------------------------------- */

  function signedIn(body) {
    state.user = body.user;
    state.csrf = body.csrf_token;
    $('who-name').textContent = body.user.name;
    $('who-role').textContent = body.user.role;
    // One user name may exist in several workspaces of a server of every
    // workspace, so the header names the one signed in to.
    $('who-workspace-name').textContent = body.workspace || '';
    $('who-workspace').hidden = !state.allWorkspaces || !body.workspace;
    $('who').hidden = false;
    $('nav').hidden = false;
    document.body.classList.toggle('is-admin', isAdmin());
    route();
    // The integration view loads the connection itself.
    if ($('view-integration').hidden) refreshConnection();
  }

  function signedOut(message) {
    state.user = null;
    state.csrf = null;
    stopPullPolling();
    state.integration = null;
    renderConnectionBanner();
    $('who').hidden = true;
    $('nav').hidden = true;
    showView('signin');
    setMessage($('signin-message'), message || '', 'error');
    const ws = $('signin-workspace');
    if (state.allWorkspaces && !ws.value) ws.focus();
    else $('signin-username').focus();
  }

  // A server with --all-workspaces needs the workspace name at sign-in.
  async function loadSignInOptions() {
    try {
      const { body } = await api('GET', '/api/server');
      state.allWorkspaces = body.all_workspaces === true;
    } catch (e) {
      state.allWorkspaces = false;
    }
    $('signin-workspace-field').hidden = !state.allWorkspaces;
    $('signin-workspace').required = state.allWorkspaces;
  }

  async function onSignIn(event) {
    event.preventDefault();
    const workspace = $('signin-workspace').value.trim();
    const username = $('signin-username').value.trim();
    const password = $('signin-password').value;
    const msg = $('signin-message');
    if (state.allWorkspaces && !workspace) {
      setMessage(msg, 'Enter your workspace, username and password.', 'error');
      return;
    }
    if (!username || !password) {
      setMessage(msg, 'Enter your username and password.', 'error');
      return;
    }
    const button = event.submitter || $('signin-form').querySelector('button');
    button.disabled = true;
    const credentials = state.allWorkspaces ? { workspace, username, password }
      : { username, password };
    try {
      const { body } = await api('POST', '/api/session', credentials);
      $('signin-password').value = '';
      setMessage(msg, '');
      signedIn(body);
    } catch (e) {
      if (e.code === 'too_many_attempts') {
        const wait = e.retryAfter ? ` Try again in ${e.retryAfter} s.`
          : ' Wait a moment, then try again.';
        setMessage(msg, `Too many failed sign-ins.${wait}`, 'error');
      } else if (e.status === 401) {
        setMessage(msg, state.allWorkspaces
          ? 'The workspace, username or password is wrong.'
          : 'The username or password is wrong.', 'error');
      } else {
        setMessage(msg, `Sign-in failed: ${e.message}`, 'error');
      }
      $('signin-password').select();
    } finally {
      button.disabled = false;
    }
  }

  async function onSignOut() {
    try {
      await api('DELETE', '/api/session');
    } catch (e) {
      // The session may already be gone; signing out locally is enough.
    }
    signedOut('');
    setMessage($('signin-message'), '');
  }

  /* ---------------------------------------------------------------
   * Routing
   * ------------------------------------------------------------- */

  const VIEWS = ['signin', 'integration', 'contacts', 'contact', 'runs',
    'errors'];

  function showView(name) {
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
    const section = name === 'contact' ? 'contacts' : name;
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.route === section) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    renderConnectionBanner();
  }

  // Parse the fragment: "#contacts/42" is {name: "contacts", id: "42"},
  // and "#integration?error=..." carries query arguments.
  function parseHash() {
    const raw = location.hash.replace(/^#/, '');
    const mark = raw.indexOf('?');
    const pathPart = mark < 0 ? raw : raw.slice(0, mark);
    const query = new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1));
    const [name, id] = pathPart.split('/');
    let decodedId = id;
    try {
      decodedId = id === undefined ? id : decodeURIComponent(id);
    } catch (e) {
      decodedId = id;
    }
    return { name: name || 'integration', id: decodedId, query };
  }

  // Messages of the page's forms; a new route clears them, so that one
  // view's result never shows on the next.
  const MESSAGES = ['conn-message', 'pull-result', 'set-message',
    'contact-message'];

  let lastRoute = null;
  function route() {
    if (!state.user) return;
    const r = parseHash();
    const key = `${r.name}/${r.id || ''}`;
    const moved = key !== lastRoute;
    lastRoute = key;
    if (moved) for (const id of MESSAGES) setMessage($(id), '');
    switch (r.name) {
    case 'contacts':
      if (r.id) {
        showView('contact');
        loadContact(r.id);
      } else {
        showView('contacts');
        loadContacts();
      }
      break;
    case 'runs':
      showView('runs');
      loadRuns();
      break;
    case 'errors':
      showView('errors');
      loadErrors();
      break;
    default:
      showView('integration');
      loadIntegration(r.query.get('error'), r.query.has('connected'));
      break;
    }
    if (moved) {
      const heading = document.querySelector('.view:not([hidden]) h1');
      if (heading) {
        heading.setAttribute('tabindex', '-1');
        heading.focus({ preventScroll: true });
      }
      document.title = `${heading ? heading.textContent : 'sfsync'} | sfsync`;
    }
  }

  /* ---------------------------------------------------------------
   * Integration: connection and settings
   * ------------------------------------------------------------- */

  // The texts of the error codes that the OAuth callback puts in
  // "#integration?error=CODE". Only these are shown: the fragment is part
  // of a link anyone can craft, so its own words never reach the page.
  const CALLBACK_ERRORS = {
    unknown_state: 'The Salesforce sign-in is unknown: it was used '
      + 'already or expired. Press Connect again.',
    expired: 'The Salesforce sign-in took more than 10 minutes. Press '
      + 'Connect again.',
    access_denied: 'Salesforce sign-in was denied. Press Connect again and '
      + 'allow access.',
    refused: 'Salesforce refused the sign-in. Check the connected app, then '
      + 'press Connect again.',
    no_code: 'Salesforce sent no authorization code. Press Connect again.',
    exchange_failed: 'Salesforce did not accept the sign-in. Check the '
      + 'connected app\'s client id, secret and callback URL, then press '
      + 'Connect again.',
    store_failed: 'The server could not read the sign-in it stored; its '
      + 'log says why. Press Connect again.',
  };

  // callbackError and connected come from the fragment that the OAuth
  // callback redirects to.
  async function loadIntegration(callbackError, connected) {
    const msg = $('conn-message');
    if (callbackError !== null && callbackError !== undefined) {
      const known = Object.prototype.hasOwnProperty.call(CALLBACK_ERRORS,
        callbackError);
      setMessage(msg, known ? CALLBACK_ERRORS[callbackError]
        : 'Connecting to Salesforce failed. Press Connect again.', 'error');
      history.replaceState(null, '', '#integration');
    } else if (connected) {
      setMessage(msg, 'Connected to Salesforce.', 'ok');
      history.replaceState(null, '', '#integration');
    }
    try {
      const { body } = await api('GET', '/api/integration');
      renderIntegration(body);
    } catch (e) {
      if (e.status !== 401) setMessage(msg, `Cannot load the integration: ${e.message}`, 'error');
    }
  }

  // Redraw the connection card and banner from the server, but not the
  // settings form, which may hold an admin's unsaved edits. A timer, the
  // tab coming back into view and a sign-in call it. A failed request is
  // left to the next call.
  async function refreshConnection() {
    if (!state.user || document.hidden) return;
    let body;
    try {
      ({ body } = await api('GET', '/api/integration'));
    } catch (e) {
      return;
    }
    if (!state.integration) {
      renderIntegration(body);
      return;
    }
    state.integration.connection = body.connection;
    renderConnection(body.connection || { connected: false });
  }

  function renderIntegration(data) {
    state.integration = data;
    renderConnection(data.connection || { connected: false });
    renderSettings(data.settings || {}, data.setting_help || {});
  }

  // Whether the stored connection is broken: Salesforce rejected its
  // sign-in, or the last check of it failed.
  function connectionBroken(c) {
    return Boolean(c && c.connected && (c.needs_reconnect
      || c.healthy === false));
  }

  // Build the sentence that states how the connection is broken and since
  // when.
  function connectionProblemText(c) {
    if (c.needs_reconnect) {
      const since = c.problem_at ? ` since ${formatTime(c.problem_at)}` : '';
      return `Salesforce has rejected the stored sign-in${since}, so no `
        + 'changes reach Salesforce.';
    }
    const when = c.problem_at ? ` at ${formatTime(c.problem_at)}` : '';
    return `The last check of the connection with Salesforce failed${when}, `
      + 'so changes may not reach Salesforce.';
  }

  // Show the banner under the header and the mark on the Integration link
  // while the connection is broken. The Integration view shows the
  // problem in its connection card, so the banner stays off there. Text
  // is set only when it changes, so that screen readers announce the
  // status once and not at every poll.
  function renderConnectionBanner() {
    const c = state.user && state.integration
      && state.integration.connection;
    const broken = connectionBroken(c);
    $('nav-conn-marker').hidden = !broken;
    const banner = $('conn-banner');
    banner.hidden = !broken || !$('view-integration').hidden
      || !$('view-signin').hidden;
    if (!broken) return;
    const text = isAdmin() ? connectionProblemText(c)
      : `${connectionProblemText(c)} Ask an admin to reconnect.`;
    if ($('conn-banner-text').textContent !== text) {
      $('conn-banner-text').textContent = text;
    }
    const link = isAdmin() ? 'Reconnect on the Integration view'
      : 'See the connection on the Integration view';
    if ($('conn-banner-link').textContent !== link) {
      $('conn-banner-link').textContent = link;
    }
  }

  // Whether pulls can run: connected, and Salesforce still takes the
  // stored sign-in.
  function canPull() {
    const c = state.integration && state.integration.connection;
    return !c || (c.connected && !c.needs_reconnect);
  }

  // The objects of the pull buttons, with their names on the page.
  const PULL_OBJECTS = { contacts: 'Contacts', leads: 'Leads' };

  // Return why the saved settings keep pulls of object off, or null. The
  // server rejects a pull while the integration or the object is off.
  function pullOffReason(object) {
    const s = state.integration && state.integration.settings;
    if (!s) return null;
    const fix = isAdmin() ? 'Turn it on in the settings below.'
      : 'An admin can turn it on in the settings.';
    if (s.enabled !== 'true') {
      return `Pulls are off while Sync automatically is off. ${fix}`;
    }
    if (!(s.objects || '').split(',').includes(object)) {
      const name = PULL_OBJECTS[object];
      return `Pull ${name} is off because ${name} is not among the objects `
        + `that sync. ${isAdmin()
          ? 'Tick it in the settings below and save.'
          : 'An admin can add it in the settings.'}`;
    }
    return null;
  }

  // Enable the pull buttons unless a pull runs or pulls cannot run, and
  // show the reason they are off.
  function updatePullButtons() {
    const c = (state.integration && state.integration.connection)
      || { connected: true };
    const reasons = [];
    for (const b of document.querySelectorAll('[data-object]')) {
      const off = canPull() ? pullOffReason(b.dataset.object) : null;
      b.disabled = state.pullRunId !== null || !canPull() || off !== null;
      if (off && !reasons.includes(off)) reasons.push(off);
    }
    const hint = $('pull-hint');
    if (!canPull()) {
      hint.textContent = !c.connected ? 'Connect to Salesforce first.'
        : 'Pulls are off until an admin reconnects to Salesforce, because '
          + 'Salesforce no longer accepts the stored sign-in.';
    } else {
      hint.textContent = reasons.join(' ');
    }
    hint.hidden = !hint.textContent;
  }

  // The warning of a broken connection: a plain sentence, the fix, and the
  // server's technical reason folded away under Details.
  function renderConnectionWarning(c, admin) {
    const parts = [c.needs_reconnect
      ? 'Salesforce no longer accepts the stored sign-in, so sync has '
        + 'stopped.'
      : 'The last check of the connection with Salesforce failed.'];
    if (c.fix) parts.push(sentence(c.fix));
    else if (!admin) parts.push('Ask an admin to reconnect.');
    $('conn-warning-text').textContent = parts.join(' ');
    $('conn-warning-problem').textContent = c.problem || '';
    $('conn-warning-details').hidden = !c.problem;
  }

  function renderConnection(c) {
    const admin = isAdmin();
    const broken = connectionBroken(c);
    renderConnectionBanner();
    $('conn-none').hidden = c.connected;
    $('conn-details').hidden = !c.connected;
    $('conn-warning').hidden = !broken;
    if (broken) renderConnectionWarning(c, admin);
    if (c.connected) {
      $('conn-org').textContent = c.org_id || 'unknown';
      $('conn-user').textContent = c.username || 'unknown';
      $('conn-instance').textContent = c.instance_url || 'unknown';
      $('conn-verified').textContent = formatTime(c.last_verified_at);
    }
    updatePullButtons();
    if (!admin || (c.connected && !broken)) $('connect-form').hidden = true;
    const formOpen = !$('connect-form').hidden;
    $('conn-connect').hidden = !admin || c.connected || formOpen;
    $('conn-reconnect').hidden = !admin || !broken || formOpen;
    $('conn-disconnect').hidden = !admin || !c.connected;
    $('conn-verify').hidden = !admin || !c.connected;
    if (c.login_url) $('connect-login-url').dataset.current = c.login_url;
    if (c.client_id) $('connect-client-id').dataset.current = c.client_id;
    if (c.grant) $('connect-flow').dataset.current = c.grant;
  }

  // The hint under Client secret for each sign-in method.
  const SECRET_HINTS = {
    client_credentials: 'Required for client credentials. It is stored '
      + 'encrypted and never shown again.',
    authorization_code: 'Optional when signing in at Salesforce, unless the '
      + 'connected app requires it. It is stored encrypted and never shown '
      + 'again.',
  };

  function updateSecretHint() {
    const flow = $('connect-flow').value;
    $('connect-client-secret-hint').textContent = SECRET_HINTS[flow] || '';
  }

  // Hide Connect and Reconnect while the form is open, so that Continue is
  // the only way on. Cancel shows them again.
  function showConnectForm(open) {
    $('connect-form').hidden = !open;
    if (open) {
      $('conn-connect').hidden = true;
      $('conn-reconnect').hidden = true;
    } else if (state.integration) {
      renderConnection(state.integration.connection || { connected: false });
    }
  }

  // The page's words for an empty field of the connect form.
  const CONNECT_EMPTY = {
    login_url: 'Enter the login URL.',
    client_id: 'Enter the client id.',
    client_secret: 'Enter the client secret.',
  };

  // Check the fields that the request needs and show each problem at its
  // field. Return whether all are present.
  function checkConnectFields(form, request, secret) {
    const missing = [];
    for (const field of ['login_url', 'client_id']) {
      if (!request[field]) missing.push([field, CONNECT_EMPTY[field]]);
    }
    if (request.flow === 'client_credentials' && !secret) {
      missing.push(['client_secret', CONNECT_EMPTY.client_secret]);
    }
    // Focus goes to the first field with a problem.
    for (const [field, message] of missing.reverse()) {
      showFieldError(form, 'connect-', field, message);
    }
    return missing.length === 0;
  }

  function openConnectForm() {
    const form = $('connect-form');
    let saved = {};
    try {
      saved = JSON.parse(localStorage.getItem(CONNECT_STORAGE_KEY) || '{}');
    } catch (e) {
      saved = {};
    }
    const url = $('connect-login-url');
    url.value = url.dataset.current || saved.login_url || url.value;
    // The server's values of the last connect come first, so that
    // Reconnect works from any browser.
    const clientId = $('connect-client-id');
    const knownId = clientId.dataset.current || saved.client_id;
    if (knownId && !clientId.value) clientId.value = knownId;
    const flow = $('connect-flow');
    if ([...flow.options].some((o) => o.value === flow.dataset.current)) {
      flow.value = flow.dataset.current;
    }
    updateSecretHint();
    clearFieldErrors(form);
    showConnectForm(true);
    (url.value ? $('connect-client-id') : url).focus();
  }

  async function onConnect(event) {
    event.preventDefault();
    const form = $('connect-form');
    const msg = $('conn-message');
    clearFieldErrors(form);
    const request = {
      flow: $('connect-flow').value,
      login_url: $('connect-login-url').value.trim(),
      client_id: $('connect-client-id').value.trim(),
    };
    const secret = $('connect-client-secret').value;
    if (secret) request.client_secret = secret;
    if (!checkConnectFields(form, request, secret)) {
      setMessage(msg, '');
      return;
    }
    const button = $('connect-submit');
    button.disabled = true;
    setMessage(msg, 'Connecting…');
    try {
      const { body } = await api('POST', '/api/integration/connect', request);
      localStorage.setItem(CONNECT_STORAGE_KEY, JSON.stringify({
        login_url: request.login_url, client_id: request.client_id,
      }));
      if (body.authorize_url) {
        // The browser leaves for Salesforce's sign-in page; the callback
        // brings it back to #integration.
        location.assign(body.authorize_url);
        return;
      }
      $('connect-client-secret').value = '';
      setMessage(msg, 'Connected.', 'ok');
      renderIntegration(body);
    } catch (e) {
      setMessage(msg, '');
      // The API words an empty field for API clients ("'client_secret' is
      // missing or empty; give it as a string").
      const text = /missing or empty/.test(e.message) && CONNECT_EMPTY[e.field]
        ? CONNECT_EMPTY[e.field] : e.message;
      if (!(e.field && showFieldError(form, 'connect-', e.field, text))) {
        setMessage(msg, sentence(e.message), 'error');
      }
    } finally {
      button.disabled = false;
    }
  }

  async function onVerify() {
    const msg = $('conn-message');
    const button = $('conn-verify');
    button.disabled = true;
    setMessage(msg, 'Checking the connection…');
    try {
      const { body } = await api('POST', '/api/integration/verify');
      renderIntegration(body);
      const c = body.connection || {};
      setMessage(msg, c.healthy ? 'The connection works.' : '',
        c.healthy ? 'ok' : undefined);
    } catch (e) {
      setMessage(msg, `Checking failed: ${e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  }

  async function onDisconnect() {
    const ok = await confirmDialog('Disconnect from Salesforce?',
      'Sync stops and the stored token is deleted. Local contacts and '
      + 'their changes stay; reconnect to send them.', 'Disconnect');
    if (!ok) {
      $('conn-disconnect').focus();
      return;
    }
    const msg = $('conn-message');
    try {
      const { body } = await api('POST', '/api/integration/disconnect');
      setMessage(msg, 'Disconnected.', 'ok');
      renderIntegration(body);
      $('conn-connect').focus();
    } catch (e) {
      setMessage(msg, `Disconnecting failed: ${e.message}`, 'error');
    }
  }

  function renderSettings(s, help) {
    const admin = isAdmin();
    $('settings-fields').disabled = !admin;
    $('set-readonly').hidden = admin;
    $('set-enabled').checked = s.enabled === 'true';
    const objects = (s.objects || '').split(',');
    $('set-obj-contacts').checked = objects.includes('contacts');
    $('set-obj-leads').checked = objects.includes('leads');
    if (s.direction) $('set-direction').value = s.direction;
    if (s.new_contacts_as) $('set-new-as').value = s.new_contacts_as;
    if (s.conflict_policy) $('set-conflict').value = s.conflict_policy;
    if (s.poll_interval !== undefined) $('set-poll').value = s.poll_interval;
    const poll = help.poll_interval;
    if (poll && poll.valid) $('set-poll-hint').textContent = poll.valid;
  }

  // The labels of the settings on the page, for the server's messages,
  // which name a setting by its key.
  const SETTING_LABELS = {
    enabled: 'Sync automatically',
    objects: 'Objects that sync',
    direction: 'Direction',
    new_contacts_as: 'New contacts are created in Salesforce as',
    conflict_policy: 'When both sides changed a field',
    poll_interval: 'Check Salesforce every (seconds)',
  };

  // Rewrite "... for setting 'poll_interval' ..." with the field's label.
  function settingMessage(field, message) {
    const label = SETTING_LABELS[field];
    const text = label
      ? message.replace(`setting '${field}'`, `“${label}”`) : message;
    return sentence(text);
  }

  // Check the fields that the page can check and return [field, message]
  // for each problem, so that all show at once. The range of
  // poll_interval comes from the server's help ("a whole number from 1 to
  // 86400").
  function settingsProblems(objects, poll) {
    const problems = [];
    if (objects.length === 0) {
      problems.push(['objects', 'Choose at least one object.']);
    }
    const help = state.integration && state.integration.setting_help
      && state.integration.setting_help.poll_interval;
    const range = /from (\d+) to (\d+)/.exec((help && help.valid) || '');
    const min = range ? Number(range[1]) : 1;
    const max = range ? Number(range[2]) : 86400;
    if (!/^\d+$/.test(poll) || Number(poll) < min || Number(poll) > max) {
      problems.push(['poll_interval', 'Enter a whole number of seconds '
        + `from ${min} to ${max}.`]);
    }
    return problems;
  }

  async function onSaveSettings(event) {
    event.preventDefault();
    const form = $('settings-form');
    const msg = $('set-message');
    clearFieldErrors(form);
    setMessage(msg, '');

    const objects = [];
    if ($('set-obj-contacts').checked) objects.push('contacts');
    if ($('set-obj-leads').checked) objects.push('leads');
    const problems = settingsProblems(objects, $('set-poll').value.trim());
    if (problems.length) {
      // Reversed, so that focus ends on the first field with a problem.
      for (const [field, message] of problems.reverse()) {
        showFieldError(form, 'set-', field, message);
      }
      setMessage(msg, problems.length === 1 ? 'One setting needs a fix.'
        : `${problems.length} settings need a fix.`, 'error');
      return;
    }

    const changes = {
      enabled: $('set-enabled').checked,
      objects: objects.join(','),
      direction: $('set-direction').value,
      new_contacts_as: $('set-new-as').value,
      conflict_policy: $('set-conflict').value,
      poll_interval: $('set-poll').value.trim(),
    };

    const button = $('set-save');
    button.disabled = true;
    try {
      const { body } = await api('PATCH', '/api/integration/settings', changes);
      renderIntegration(body);
      setMessage(msg, 'Settings saved.', 'ok');
    } catch (e) {
      const text = e.field ? settingMessage(e.field, e.message) : e.message;
      if (!(e.field && showFieldError(form, 'set-', e.field, text))) {
        setMessage(msg, `Saving failed: ${text}`, 'error');
      }
    } finally {
      button.disabled = false;
    }
  }

  /* ---------------------------------------------------------------
   * Pulls
   * ------------------------------------------------------------- */

  let pullTimer = null;

  function stopPullPolling() {
    clearTimeout(pullTimer);
    pullTimer = null;
    state.pullRunId = null;
    updatePullButtons();
  }

  async function onPull(event) {
    const object = event.currentTarget.dataset.object;
    const label = object === 'leads' ? 'Leads' : 'Contacts';
    const box = $('pull-status');
    box.hidden = false;
    setMessage($('pull-result'), '');
    $('pull-label').textContent = `Pulling ${label}…`;
    $('pull-count').textContent = '';
    setProgress(null, null);
    for (const b of document.querySelectorAll('[data-object]')) b.disabled = true;
    try {
      const { body } = await api('POST', '/api/pulls', { object });
      state.pullRunId = body.run_id;
      pollPull(body.run_id, label);
    } catch (e) {
      stopPullPolling();
      $('pull-label').textContent = `Pull of ${label} did not start`;
      $('pull-bar').hidden = true;
      setMessage($('pull-result'), e.message, 'error');
      // The connection or the settings changed since the page loaded them,
      // so reload them to show the warning or the disabled pull buttons,
      // and the reason in the page's words.
      if (e.code === 'not_connected') await loadIntegration(null, false);
      if (e.code === 'invalid_value') {
        await loadIntegration(null, false);
        const reason = pullOffReason(object);
        if (reason) setMessage($('pull-result'), reason, 'error');
      }
    }
  }

  // Show done of expected, or an indeterminate bar while expected is
  // unknown.
  function setProgress(done, expected) {
    const bar = $('pull-bar');
    const fill = bar.querySelector('.progress-fill');
    bar.hidden = false;
    if (expected === null || expected === undefined) {
      bar.classList.add('indeterminate');
      bar.removeAttribute('aria-valuenow');
      bar.removeAttribute('aria-valuemax');
      bar.setAttribute('aria-valuetext',
        done ? `${done.toLocaleString()} records read` : 'starting');
      fill.style.width = '';
      $('pull-count').textContent = done ? `${done.toLocaleString()} read` : '';
      return;
    }
    const doneShown = Math.min(done || 0, expected);
    bar.classList.remove('indeterminate');
    bar.setAttribute('aria-valuemax', String(expected));
    bar.setAttribute('aria-valuenow', String(doneShown));
    bar.setAttribute('aria-valuetext', `${doneShown} of ${expected} records`);
    fill.style.width = expected > 0 ? `${(doneShown / expected) * 100}%` : '100%';
    $('pull-count').textContent = `${doneShown.toLocaleString()} / ${expected.toLocaleString()}`;
  }

  async function pollPull(runId, label) {
    if (state.pullRunId !== runId) return;
    let run;
    try {
      ({ body: run } = await api('GET', `/api/runs/${runId}`));
    } catch (e) {
      if (e.status === 401) return;
      setMessage($('pull-result'), `Cannot read the pull's progress: ${e.message}`, 'error');
      pullTimer = setTimeout(() => pollPull(runId, label), PULL_POLL_MS * 4);
      return;
    }
    const p = run.progress || {};
    if (run.status === 'running') {
      setProgress(p.done, p.expected);
      pullTimer = setTimeout(() => pollPull(runId, label), PULL_POLL_MS);
      return;
    }
    finishPull(run, label);
  }

  function finishPull(run, label) {
    const p = run.progress || {};
    const c = run.counts || {};
    const done = p.done ?? (c.created || 0) + (c.updated || 0) + (c.unchanged || 0);
    setProgress(done, p.expected ?? done);
    stopPullPolling();
    const n = (v) => (v || 0).toLocaleString();
    const counts = `${n(c.created)} created, ${n(c.updated)} updated, `
      + `${n(c.unchanged)} unchanged, ${n(c.skipped)} skipped, `
      + `${n(c.errors)} errors`;
    if (run.status === 'ok') {
      $('pull-label').textContent = `Pull of ${label} finished`;
      setMessage($('pull-result'), counts, c.errors ? 'error' : 'ok');
    } else {
      $('pull-label').textContent = `Pull of ${label} ${run.status}`;
      const { text, auth } = runMessage(run);
      const fix = !auth ? '' : isAdmin() ? ' Press Reconnect above.'
        : ' Ask an admin to reconnect.';
      setMessage($('pull-result'),
        `${text || 'The pull did not finish.'}${fix} (${counts})`, 'error');
    }
  }

  /* ---------------------------------------------------------------
   * Runs and the chart
   * ------------------------------------------------------------- */

  // Records a run moved: those it read into local contacts and those it
  // wrote to Salesforce.
  function runRecords(run) {
    const c = run.counts || {};
    const fromSf = Math.max(c.pulled || 0, (c.created || 0) + (c.updated || 0));
    return { fromSf, toSf: c.pushed || 0 };
  }

  function runKind(run) {
    const object = run.object ? ` ${run.object}s` : '';
    if (run.kind === 'pull') return `Pull${object}`;
    if (run.kind === 'push') return 'Push during a pull';
    return `Sync${object}`;
  }

  async function loadRuns() {
    const status = $('runs-status');
    try {
      const { body } = await api('GET', `/api/runs?limit=${RUNS_LIMIT}`);
      renderRuns(body.runs || []);
    } catch (e) {
      if (e.status !== 401) setMessage(status, `Cannot load the runs: ${e.message}`, 'error');
    }
  }

  // Unchanged counts the records a pull read that matched their contacts,
  // so that a pull of only unchanged records does not read as all zeros.
  const RUN_COLUMNS = ['Started', 'Kind', 'Status', 'Pulled', 'Pushed',
    'Created', 'Updated', 'Unchanged', 'Errors', 'Message'];
  const RUN_MESSAGE_COLUMN = RUN_COLUMNS.length - 1;

  // The command-line advice that ends the message of a run that failed on
  // authentication (from the Salesforce client and the stored connection).
  // The page's fix is Reconnect on the Integration view instead. For a run
  // recorded without an error_code, the advice also marks the failure.
  const AUTH_ADVICE = [
    /: check the credentials or log in again\.?$/,
    /: log in again\.?$/,
    /: run 'sfsync connect' again(?= \(last error: )/,
    /: run 'sfsync connect' again\.?$/,
  ];

  // Split a run's message into the text to show, with the command-line
  // advice removed, and whether the run failed on authentication: its
  // error_code is 'auth', or it has no code and the message has the advice.
  function runMessage(run) {
    let text = String(run.message || '');
    let advised = false;
    for (const advice of AUTH_ADVICE) {
      if (advice.test(text)) {
        text = text.replace(advice, '');
        advised = true;
        break;
      }
    }
    const coded = run.error_code !== null && run.error_code !== undefined;
    const auth = coded ? run.error_code === 'auth' : advised;
    return { text: text ? sentence(text) : '', auth };
  }

  // Fill a run's message cell: the text cut to two lines with Show all
  // when it is longer, and the Integration view's Reconnect for a run that
  // failed on authentication.
  function fillRunMessage(td, run) {
    const { text, auth } = runMessage(run);
    if (!text) return;
    const body = document.createElement('div');
    body.className = 'run-message-text';
    body.textContent = text;
    body.title = text;
    td.append(body);
    if (auth) {
      const fix = document.createElement('a');
      fix.href = '#integration';
      fix.className = 'run-fix';
      fix.textContent = isAdmin() ? 'Reconnect on the Integration view'
        : 'An admin reconnects on the Integration view';
      td.append(fix);
    }
  }

  // Offer Show all on each message that its two lines cut. It runs once
  // the rows are in the document, since only then do they have a size.
  function addShowAll(tbody) {
    for (const body of tbody.querySelectorAll('.run-message-text')) {
      if (body.scrollHeight <= body.clientHeight + 1) continue;
      const more = document.createElement('button');
      more.type = 'button';
      more.className = 'link-button';
      more.textContent = 'Show all';
      more.setAttribute('aria-expanded', 'false');
      more.addEventListener('click', () => {
        const open = body.classList.toggle('expanded');
        more.setAttribute('aria-expanded', String(open));
        more.textContent = open ? 'Show less' : 'Show all';
      });
      body.after(more);
    }
  }

  function renderRuns(runs) {
    const tbody = $('runs-table').querySelector('tbody');
    tbody.replaceChildren();
    setMessage($('runs-status'), runs.length ? '' : 'No runs yet.');
    for (const run of runs) {
      const c = run.counts || {};
      const tr = document.createElement('tr');
      const cells = [formatTime(run.started_at), runKind(run), run.status,
        c.pulled || 0, c.pushed || 0, c.created || 0, c.updated || 0,
        c.unchanged || 0, c.errors || 0, ''];
      cells.forEach((v, i) => {
        const td = document.createElement('td');
        td.textContent = typeof v === 'number' ? v.toLocaleString() : v;
        // At phone widths each row stacks, and the label names the cell.
        td.dataset.label = RUN_COLUMNS[i];
        if (i === 0) td.className = 'run-started';
        if (i >= 3 && i < RUN_MESSAGE_COLUMN) td.className = 'num';
        if (i === RUN_MESSAGE_COLUMN) {
          td.className = 'run-message';
          fillRunMessage(td, run);
        }
        if (i === 2) td.className = run.status === 'ok' ? 'status-ok'
          : run.status === 'failed' ? 'status-failed' : '';
        tr.append(td);
      });
      tbody.append(tr);
    }
    addShowAll(tbody);
    state.chartRuns = runs.slice().reverse();
    drawChart(state.chartRuns);
  }

  // Redraw the chart once per frame while the window is resized, since its
  // text is drawn at the holder's width.
  let chartFrame = null;
  function onResize() {
    if (chartFrame !== null || !state.chartRuns || $('view-runs').hidden) {
      return;
    }
    chartFrame = requestAnimationFrame(() => {
      chartFrame = null;
      drawChart(state.chartRuns);
    });
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';

  function svg(name, attrs, text) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // Draw one stacked bar per run, oldest on the left, and write the same
  // figures as text for screen readers.
  function drawChart(runs) {
    const holder = $('runs-chart-svg');
    const caption = $('runs-chart-text');
    holder.replaceChildren();
    if (runs.length === 0) {
      caption.textContent = 'No runs to chart.';
      return;
    }
    // The drawing has the holder's width in CSS pixels, so that its 12 px
    // labels stay 12 px on a phone instead of shrinking with the viewBox.
    const width = Math.max(280, Math.round(holder.clientWidth) || 960);
    const height = 200;
    const left = 44;
    const bottom = 24;
    const top = 18;
    const plotH = height - bottom - top;
    const values = runs.map(runRecords);
    const max = Math.max(1, ...values.map((v) => v.fromSf + v.toSf));
    const slot = (width - left - 8) / runs.length;
    const barW = Math.max(2, Math.min(40, slot * 0.7));
    const labelled = runs.length <= 16 && slot >= 28;
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
      focusable: 'false' });
    root.append(svg('line', { x1: left, y1: top + plotH, x2: width - 4,
      y2: top + plotH, class: 'axis' }));
    root.append(svg('line', { x1: left, y1: top, x2: left, y2: top + plotH,
      class: 'axis' }));
    root.append(svg('text', { x: left - 6, y: top + 8, 'text-anchor': 'end' },
      max.toLocaleString()));
    root.append(svg('text', { x: left - 6, y: top + plotH, 'text-anchor': 'end' },
      '0'));
    values.forEach((v, i) => {
      const x = left + 4 + i * slot + (slot - barW) / 2;
      const hFrom = (v.fromSf / max) * plotH;
      const hTo = (v.toSf / max) * plotH;
      const yFrom = top + plotH - hFrom;
      if (hFrom > 0) {
        root.append(svg('rect', { x, y: yFrom, width: barW, height: hFrom,
          class: 'bar-created', rx: 2 }));
      }
      if (hTo > 0) {
        root.append(svg('rect', { x, y: yFrom - hTo, width: barW, height: hTo,
          class: 'bar-updated', rx: 2 }));
      }
      if (labelled) {
        root.append(svg('text', { x: x + barW / 2, y: yFrom - hTo - 4,
          'text-anchor': 'middle' }, (v.fromSf + v.toSf).toLocaleString()));
      }
    });
    const first = new Date(runs[0].started_at);
    const last = new Date(runs[runs.length - 1].started_at);
    const day = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    root.append(svg('text', { x: left, y: height - 6 }, first.toLocaleString(undefined, day)));
    root.append(svg('text', { x: width - 4, y: height - 6, 'text-anchor': 'end' },
      last.toLocaleString(undefined, day)));
    holder.append(root);
    const legend = document.createElement('div');
    legend.className = 'legend';
    const l1 = document.createElement('span');
    l1.className = 'l-created';
    l1.textContent = 'From Salesforce';
    const l2 = document.createElement('span');
    l2.className = 'l-updated';
    l2.textContent = 'To Salesforce';
    legend.append(l1, l2);
    holder.append(legend);

    const total = values.reduce((a, v) => a + v.fromSf + v.toSf, 0);
    const parts = runs.map((r, i) => `${formatTime(r.started_at)}, ${runKind(r)}: `
      + `${values[i].fromSf} from Salesforce, ${values[i].toSf} to Salesforce`);
    caption.textContent = `${runs.length} runs moved ${total} records. `
      + `${parts.join('; ')}.`;
  }

  /* ---------------------------------------------------------------
   * Sync errors
   * ------------------------------------------------------------- */

  async function loadErrors() {
    const status = $('errors-status');
    try {
      const { body } = await api('GET', '/api/errors?limit=100');
      renderErrors(body.errors || []);
    } catch (e) {
      if (e.status !== 401) setMessage(status, `Cannot load the sync errors: ${e.message}`, 'error');
    }
  }

  function renderErrors(errors) {
    const list = $('errors-list');
    list.replaceChildren();
    // Retry all marks only permanent errors, so it is offered only for
    // them.
    $('errors-retry').hidden = !errors.some((e) => !e.retryable);
    setMessage($('errors-status'), errors.length
      ? `${errors.length} sync ${errors.length === 1 ? 'error' : 'errors'}`
      : 'No sync errors.');
    for (const err of errors) {
      const li = document.createElement('li');
      const summary = document.createElement('div');
      summary.className = 'what';
      const head = document.createElement('strong');
      head.textContent = err.message || err.code || 'sync error';
      const meta = document.createElement('div');
      meta.className = 'muted';
      const code = document.createElement('code');
      code.textContent = err.code || '';
      meta.append(code, ` · ${formatTime(err.created_at)}`);
      if (err.object && err.sf_id) meta.append(` · ${err.object} ${err.sf_id}`);
      if (!err.retryable) meta.append(' · will not retry by itself');
      summary.append(head, meta);
      li.append(summary);
      const actions = document.createElement('div');
      actions.className = 'error-actions';
      if (err.contact_id) {
        const a = document.createElement('a');
        a.href = `#contacts/${err.contact_id}`;
        a.textContent = `View contact ${err.contact_id}`;
        actions.append(a);
      }
      // A retryable error is tried again by the next round anyway.
      if (!err.retryable) {
        const retry = document.createElement('button');
        retry.type = 'button';
        retry.className = 'retry-one';
        retry.textContent = 'Retry';
        const label = document.createElement('span');
        label.className = 'visually-hidden';
        label.textContent = ` error ${err.id}`;
        retry.append(label);
        retry.addEventListener('click', () => onRetryError(err.id, retry));
        actions.append(retry);
      }
      if (actions.childElementCount) li.append(actions);
      list.append(li);
    }
  }

  async function onRetryError(id, button) {
    const status = $('errors-status');
    button.disabled = true;
    try {
      await api('POST', `/api/errors/${encodeURIComponent(id)}/retry`);
      toast(`Error ${id} marked for retry`);
      await loadErrors();
      // The row's button is gone; keep the keyboard user in the list.
      $('errors-title').focus();
    } catch (e) {
      button.disabled = false;
      if (e.status === 404) {
        setMessage(status, `Error ${id} is gone: it was retried or cleared.`,
          'error');
        loadErrors();
      } else if (e.status !== 401) {
        setMessage(status, `Retry failed: ${e.message}`, 'error');
      }
    }
  }

  async function onRetryErrors() {
    const status = $('errors-status');
    try {
      const { body } = await api('POST', '/api/errors/retry');
      toast(`${body.marked} ${body.marked === 1 ? 'error' : 'errors'} marked for retry`);
      loadErrors();
    } catch (e) {
      setMessage(status, `Retry failed: ${e.message}`, 'error');
    }
  }

  /* ---------------------------------------------------------------
   * Contacts
   * ------------------------------------------------------------- */

  function contactName(c) {
    const name = [c.first_name, c.last_name].filter(Boolean).join(' ');
    return name || c.company || c.email || c.phone || `Contact ${c.id}`;
  }

  let contactsRequest = 0;
  async function loadContacts() {
    const id = ++contactsRequest;
    const params = new URLSearchParams({
      limit: String(CONTACTS_PAGE_SIZE), offset: String(state.contactsOffset),
    });
    if (state.contactsQuery) params.set('q', state.contactsQuery);
    const status = $('contacts-status');
    try {
      const { body } = await api('GET', `/api/contacts?${params}`);
      if (id === contactsRequest) renderContacts(body);
    } catch (e) {
      if (e.status !== 401) setMessage(status, `Cannot load the contacts: ${e.message}`, 'error');
    }
  }

  function renderContacts(page) {
    const tbody = $('contacts-table').querySelector('tbody');
    tbody.replaceChildren();
    for (const c of page.contacts) {
      const tr = document.createElement('tr');
      const nameTd = document.createElement('td');
      const a = document.createElement('a');
      a.href = `#contacts/${c.id}`;
      a.textContent = contactName(c);
      nameTd.append(a);
      tr.append(nameTd);
      for (const v of [c.company, c.phone || c.mobile_phone, c.email]) {
        const td = document.createElement('td');
        td.textContent = v || '';
        tr.append(td);
      }
      const sfTd = document.createElement('td');
      if (c.salesforce && c.salesforce.url) {
        sfTd.append(salesforceLink(c));
      } else {
        sfTd.textContent = c.salesforce ? c.salesforce.object : '';
      }
      tr.append(sfTd);
      tbody.append(tr);
    }
    const from = page.total ? page.offset + 1 : 0;
    const to = page.offset + page.contacts.length;
    const query = state.contactsQuery ? ` matching “${state.contactsQuery}”` : '';
    setMessage($('contacts-status'), page.total
      ? `${page.total} ${page.total === 1 ? 'contact' : 'contacts'}${query}`
      : `No contacts${query}.`);
    $('contacts-page').textContent = page.total ? `${from}–${to} of ${page.total}` : '';
    $('contacts-prev').disabled = page.offset === 0;
    $('contacts-next').disabled = to >= page.total;
  }

  function salesforceLink(c) {
    const a = document.createElement('a');
    a.href = c.salesforce.url;
    a.target = '_blank';
    a.rel = 'noopener';
    a.className = 'sf-link';
    a.textContent = 'Open in Salesforce';
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = ` (${c.salesforce.object} of ${contactName(c)}, new tab)`;
    a.append(hidden);
    return a;
  }

  let searchTimer = null;
  function onSearchInput() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.contactsQuery = $('contacts-search').value.trim();
      state.contactsOffset = 0;
      loadContacts();
    }, SEARCH_DEBOUNCE_MS);
  }

  function onPage(delta) {
    state.contactsOffset = Math.max(0, state.contactsOffset + delta * CONTACTS_PAGE_SIZE);
    loadContacts();
  }

  const CONTACT_FIELDS = ['first_name', 'last_name', 'company', 'title',
    'email', 'phone', 'mobile_phone', 'street', 'city', 'state',
    'postal_code', 'country', 'lead_status', 'lead_source', 'owner'];
  // A Salesforce record id: 15 case-sensitive letters and digits, or 18
  // with the checksum suffix. An owner is a User, or a queue for a Lead.
  const SALESFORCE_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

  // Check the values that the server stores but a push would reject;
  // return [field, message] of the first problem, or null.
  function contactProblem(changes) {
    if (changes.owner && !SALESFORCE_ID.test(changes.owner)) {
      return ['owner', `Owner '${changes.owner}' is not a Salesforce user `
        + 'id: give the 15 or 18 letters and digits of the User\'s id, '
        + 'such as 005000000000001AAA, or leave it empty.'];
    }
    return null;
  }
  const CONTACT_FLAGS = ['do_not_call', 'email_opt_out'];

  function fillContactForm(c) {
    for (const f of CONTACT_FIELDS) $(`c-${f}`).value = (c && c[f]) || '';
    for (const f of CONTACT_FLAGS) $(`c-${f}`).checked = Boolean(c && c[f]);
  }

  // Show or hide the contact's fields and buttons; the message stays.
  function showContactForm(visible) {
    $('contact-fields').hidden = !visible;
    $('contact-actions').hidden = !visible;
  }

  // Each load of the contact view; a reply to an older one is dropped, so
  // that a slow read cannot fill the form of the route opened after it.
  let contactLoad = 0;

  async function loadContact(id) {
    const load = ++contactLoad;
    const form = $('contact-form');
    clearFieldErrors(form);
    setMessage($('contact-message'), '');
    $('contact-conflict').hidden = true;
    $('contact-duplicate').hidden = true;
    if (id === 'new') {
      showContactForm(true);
      state.contact = null;
      $('contact-title').textContent = 'New contact';
      $('contact-link').hidden = true;
      $('contact-info').textContent = '';
      $('contact-delete').hidden = true;
      $('contact-save').textContent = 'Add contact';
      fillContactForm(null);
      return;
    }
    $('contact-save').textContent = 'Save contact';
    // Until the contact arrives, the form is hidden: what a user typed
    // into it would be overwritten by the stored values.
    showContactForm(false);
    $('contact-title').textContent = 'Loading the contact';
    $('contact-info').textContent = '';
    $('contact-link').hidden = true;
    $('contact-delete').hidden = true;
    try {
      const { body } = await api('GET', `/api/contacts/${encodeURIComponent(id)}`);
      if (load !== contactLoad) return;
      showContactForm(true);
      showContact(body);
    } catch (e) {
      if (e.status === 401 || load !== contactLoad) return;
      state.contact = null;
      $('contact-title').textContent = 'Contact';
      fillContactForm(null);
      // Without a contact an empty form would save as a new one.
      showContactForm(false);
      $('contact-info').textContent = '';
      $('contact-link').hidden = true;
      $('contact-delete').hidden = true;
      setMessage($('contact-message'), e.status === 404
        ? `Contact '${id}' was not found.` : `Cannot load the contact: ${e.message}`, 'error');
    }
  }

  function showContact(c) {
    state.contact = c;
    $('contact-title').textContent = contactName(c);
    fillContactForm(c);
    const link = $('contact-sf');
    if (c.salesforce && c.salesforce.url) {
      link.href = c.salesforce.url;
      $('contact-link').hidden = false;
    } else {
      $('contact-link').hidden = true;
    }
    const facts = [c.salesforce
      ? `Linked to Salesforce ${c.salesforce.object} ${c.salesforce.id}`
      : 'Not linked to a Salesforce record'];
    if (c.pending_changes) {
      facts.push(`${c.pending_changes} ${c.pending_changes === 1 ? 'change'
        : 'changes'} waiting to be sent`);
    }
    facts.push(`updated ${formatTime(c.updated_at)}`);
    $('contact-info').textContent = facts.join(' · ');
    $('contact-delete').hidden = Boolean(c.archived);
    if (c.archived) setMessage($('contact-message'), 'This contact is archived.');
  }

  // The fields that differ from the loaded contact ("" clears a field).
  function contactChanges() {
    const c = state.contact || {};
    const changes = {};
    for (const f of CONTACT_FIELDS) {
      const v = $(`c-${f}`).value.trim();
      if (v !== (c[f] || '')) changes[f] = v;
    }
    for (const f of CONTACT_FLAGS) {
      const v = $(`c-${f}`).checked;
      if (v !== Boolean(c[f])) changes[f] = v;
    }
    return changes;
  }

  // The words for a contact field that a duplicate matched on.
  const DUPLICATE_FIELD_WORDS = {
    email: 'this email',
    phone: 'this phone number',
    mobile_phone: 'this mobile phone number',
  };

  // After a 409 duplicate_contact: name the stored contact with a link to
  // it, and offer to add the new contact, or save the edit, anyway. The
  // API's message speaks to API clients, so it is not shown.
  function showDuplicate(e) {
    const link = $('contact-duplicate-link');
    link.textContent = `Contact ${e.contactId}`;
    link.href = `#contacts/${e.contactId}`;
    $('contact-duplicate-text').textContent =
      `has ${DUPLICATE_FIELD_WORDS[e.field] || 'the same details'}.`;
    const editing = Boolean(state.contact);
    $('contact-duplicate-result').textContent = editing
      ? 'The change was not saved.' : 'The new contact was not added.';
    $('contact-add-anyway').textContent = editing ? 'Save anyway'
      : 'Add anyway';
    $('contact-duplicate').hidden = false;
    $('contact-add-anyway').focus();
  }

  // Build the message after a save. It states when the change cannot
  // reach Salesforce because the connection is broken.
  function contactSavedText() {
    const c = state.integration && state.integration.connection;
    if (!connectionBroken(c)) return 'Contact saved.';
    return 'Contact saved here, but it is not sent to Salesforce while the '
      + `connection is broken. ${isAdmin() ? 'Reconnect on the Integration '
        + 'view.' : 'Ask an admin to reconnect.'}`;
  }

  async function addContact(changes, allowDuplicate) {
    const body = { ...changes };
    for (const f of Object.keys(body)) if (body[f] === '') delete body[f];
    if (allowDuplicate) body.allow_duplicate = true;
    const { body: made } = await api('POST', '/api/contacts', body);
    const broken = connectionBroken(state.integration
      && state.integration.connection);
    toast(broken ? `Contact ${contactName(made)} added here, but not sent to `
      + 'Salesforce while the connection is broken'
      : `Contact ${contactName(made)} added`);
    location.hash = `#contacts/${made.id}`;
  }

  async function onSaveContact(event, allowDuplicate = false) {
    if (event) event.preventDefault();
    const form = $('contact-form');
    const msg = $('contact-message');
    clearFieldErrors(form);
    setMessage(msg, '');
    $('contact-duplicate').hidden = true;
    const changes = contactChanges();
    const button = $('contact-save');
    if (state.contact && Object.keys(changes).length === 0) {
      setMessage(msg, 'Nothing changed.');
      return;
    }
    const problem = contactProblem(changes);
    if (problem) {
      showFieldError(form, 'c-', problem[0], problem[1]);
      return;
    }
    button.disabled = true;
    try {
      if (state.contact) {
        const patch = allowDuplicate ? { ...changes, allow_duplicate: true }
          : changes;
        const { body } = await api('PATCH', `/api/contacts/${state.contact.id}`,
          patch, { 'If-Match': `"${state.contact.version}"` });
        showContact(body);
        const broken = connectionBroken(state.integration
          && state.integration.connection);
        setMessage(msg, contactSavedText(), broken ? undefined : 'ok');
      } else {
        await addContact(changes, allowDuplicate);
      }
    } catch (e) {
      if (e.code === 'duplicate_contact' && e.contactId) {
        showDuplicate(e);
      } else if (e.code === 'version_conflict') {
        $('contact-conflict').hidden = false;
        $('contact-reload').focus();
      } else if (!(e.field && showFieldError(form, 'c-', e.field, e.message))) {
        setMessage(msg, `Saving failed: ${e.message}`, 'error');
      }
    } finally {
      button.disabled = false;
    }
  }

  // After a version conflict: load the stored contact, then put the
  // user's edits back over it, so that Save applies them to the new
  // version once the user has looked at them.
  async function onReloadKeep() {
    const changes = contactChanges();
    const id = String(state.contact ? state.contact.id : parseHash().id);
    await loadContact(id);
    if (!state.contact) return;
    for (const [f, v] of Object.entries(changes)) {
      if (CONTACT_FLAGS.includes(f)) $(`c-${f}`).checked = v;
      else $(`c-${f}`).value = v;
    }
    setMessage($('contact-message'), 'The contact was reloaded with your '
      + 'edits on top. Check them and save again.');
    $('c-first_name').focus();
  }

  // Describe what a delete does in Salesforce under the value of the
  // on_local_delete setting, read from the server so that it is current.
  async function deleteEffect(c) {
    if (!c.salesforce) {
      return 'The contact is archived here. It is not linked to a '
        + 'Salesforce record, so nothing changes in Salesforce.';
    }
    let value = null;
    try {
      const { body } = await api('GET', '/api/integration');
      value = body.settings && body.settings.on_local_delete;
    } catch (e) {
      value = null;
    }
    const record = `Salesforce ${c.salesforce.object} ${c.salesforce.id}`;
    if (value === 'delete') {
      return `The contact is archived here, and the ${record} is deleted `
        + 'too at the next sync.';
    }
    if (value === 'keep') {
      return `The contact is archived here. The ${record} stays in `
        + 'Salesforce.';
    }
    return 'The contact is archived here. Whether its Salesforce record is '
      + 'deleted too could not be read. Check the integration settings.';
  }

  async function onDeleteContact() {
    const c = state.contact;
    if (!c) return;
    const ok = await confirmDialog(`Delete ${contactName(c)}?`,
      await deleteEffect(c), 'Delete');
    if (!ok) {
      $('contact-delete').focus();
      return;
    }
    try {
      await api('DELETE', `/api/contacts/${c.id}`, undefined,
        { 'If-Match': `"${c.version}"` });
      toast(`${contactName(c)} deleted`);
      location.hash = '#contacts';
    } catch (e) {
      if (e.code === 'version_conflict') {
        $('contact-conflict').hidden = false;
        $('contact-reload').focus();
      } else {
        setMessage($('contact-message'), `Deleting failed: ${e.message}`, 'error');
      }
    }
  }

  /* ---------------------------------------------------------------
   * Start
   * ------------------------------------------------------------- */

  function bind() {
    $('signin-form').addEventListener('submit', onSignIn);
    $('sign-out').addEventListener('click', onSignOut);
    $('conn-connect').addEventListener('click', openConnectForm);
    $('conn-reconnect').addEventListener('click', openConnectForm);
    $('conn-disconnect').addEventListener('click', onDisconnect);
    $('conn-verify').addEventListener('click', onVerify);
    $('connect-form').addEventListener('submit', onConnect);
    $('connect-cancel').addEventListener('click', () => {
      showConnectForm(false);
      const open = [$('conn-reconnect'), $('conn-connect')]
        .find((b) => !b.hidden);
      if (open) open.focus();
    });
    $('connect-flow').addEventListener('change', () => {
      updateSecretHint();
      clearFieldErrors($('connect-form'));
    });
    $('settings-form').addEventListener('submit', onSaveSettings);

    for (const b of document.querySelectorAll('[data-object]')) {
      b.addEventListener('click', onPull);
    }
    $('errors-retry').addEventListener('click', onRetryErrors);

    $('contacts-search').addEventListener('input', onSearchInput);
    $('contacts-prev').addEventListener('click', () => onPage(-1));
    $('contacts-next').addEventListener('click', () => onPage(1));
    $('contact-form').addEventListener('submit', onSaveContact);
    $('contact-delete').addEventListener('click', onDeleteContact);
    $('contact-reload').addEventListener('click', () => {
      loadContact(String(state.contact ? state.contact.id : parseHash().id));
      $('c-first_name').focus();
    });
    $('contact-reload-keep').addEventListener('click', onReloadKeep);
    $('contact-add-anyway').addEventListener('click',
      () => onSaveContact(null, true));
    // The skip link moves focus without changing the route.
    document.querySelector('.skip').addEventListener('click', (event) => {
      event.preventDefault();
      $('main').focus();
    });
    window.addEventListener('hashchange', route);
    window.addEventListener('resize', onResize);
    document.addEventListener('visibilitychange', refreshConnection);
    setInterval(refreshConnection, CONNECTION_POLL_MS);
  }

  async function start() {
    bind();
    await loadSignInOptions();
    try {
      const { body } = await api('GET', '/api/session');
      signedIn(body);
    } catch (e) {
      signedOut(e.status === 401 ? '' : e.message);
    }
  }

  document.addEventListener('DOMContentLoaded', start);
})();
