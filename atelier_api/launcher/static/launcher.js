// The launch page: log in, launch / relaunch / discard your sandbox, watch its state and
// remaining lifetime, copy the VS Code settings. Plain DOM, no framework; server data is
// only ever set with textContent.
"use strict";

(() => {
  const API = "/launcher/v1";
  const ACTIVE = ["starting", "ready", "stopping"];
  const FAST_POLL_MS = 1000;
  const SLOW_POLL_MS = 5000;

  const $ = (id) => document.getElementById(id);
  const el = {};
  for (const id of [
    "who", "who-name", "who-operator", "logout", "error", "error-title", "error-message",
    "error-retry", "error-dismiss", "loading", "login", "login-form", "username", "password",
    "login-submit", "app", "state", "progress-wrap", "elapsed", "reason", "notice", "facts",
    "sandbox-id", "sandbox-workspace", "sandbox-start", "remaining", "idle", "relaunches",
    "workspace-picker", "workspace", "launch", "relaunch", "discard", "confirm",
    "confirm-question", "confirm-detail",
    "drop-state-row", "drop-state", "confirm-discard", "cancel-discard", "connect", "snippet",
    "copy", "copy-status", "conn-url", "conn-host", "conn-port", "conn-prefix",
    "conn-namespace", "conn-username", "conn-password", "rules",
  ]) {
    el[id] = $(id);
  }

  const page = {
    me: null,          // GET /me
    sandbox: null,     // GET /sandbox (null: none yet)
    busy: false,       // an action is under way
    generation: 0,     // bumped by every action: a poll begun before it is stale
    pollTimer: 0,
    skewMs: 0,         // server clock minus ours, when it matters (> 2 s)
  };

  // -- the API ---------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, retryAfter) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  async function api(method, path, body) {
    // X-Requested-With: the launcher then answers 401 without a Basic challenge, which
    // would make the browser pop up its own password dialog over the page's login form
    const init = {method, credentials: "same-origin", cache: "no-store",
                  headers: {Accept: "application/json", "X-Requested-With": "XMLHttpRequest"}};
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, init);
    } catch (err) {
      throw new ApiError(0, "The launcher did not answer (" + err.message + ").", null);
    }
    noteServerClock(response.headers.get("Date"));
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch (_err) {
      data = null;
    }
    if (!response.ok) {
      const message = data && data.error && data.error.message
        ? data.error.message : "HTTP " + response.status + " " + response.statusText;
      const retry = response.headers.get("Retry-After");
      throw new ApiError(response.status, message, retry === null ? null : Number(retry));
    }
    return data;
  }

  function noteServerClock(header) {
    const server = header ? Date.parse(header) : NaN;
    if (Number.isNaN(server)) return;
    const skew = server - Date.now();
    // Date has a one-second resolution: only a real difference of clocks is corrected
    page.skewMs = Math.abs(skew) > 2000 ? skew : 0;
  }

  const serverNow = () => Date.now() + page.skewMs;

  // -- formatting ------------------------------------------------------------------------

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  function duration(seconds) {
    if (!seconds) return "none";
    const parts = [];
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h) parts.push(h + " h");
    if (m) parts.push(m + " min");
    if (s) parts.push(s + " s");
    return parts.join(" ");
  }

  function bytes(n) {
    if (!n) return "no limit";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return (Number.isInteger(n) ? n : n.toFixed(1)) + " " + units[i];
  }

  function setText(node, text) {
    node.textContent = text === null || text === undefined ? "" : String(text);
  }

  // -- messages --------------------------------------------------------------------------

  function showError(err, what) {
    const status = err instanceof ApiError ? err.status : 0;
    setText(el["error-title"], (what ? what + " failed" : "Error")
            + (status ? " (" + status + "):" : ":"));
    setText(el["error-message"], err.message);
    const retry = err instanceof ApiError ? err.retryAfter : null;
    if (retry !== null && !Number.isNaN(retry)) {
      setText(el["error-retry"], "Try again in " + duration(retry) + ".");
      el["error-retry"].hidden = false;
    } else {
      el["error-retry"].hidden = true;
    }
    el.error.hidden = false;
  }

  function clearError() {
    el.error.hidden = true;
    setText(el["error-message"], "");
  }

  // -- views -----------------------------------------------------------------------------

  function showLogin() {
    stopPolling();
    page.me = null;
    page.sandbox = null;
    el.loading.hidden = true;
    el.app.hidden = true;
    el.who.hidden = true;
    el.login.hidden = false;
    el.password.value = "";
    el.username.focus();
  }

  function showApp(me) {
    page.me = me;
    el.loading.hidden = true;
    el.login.hidden = true;
    el.app.hidden = false;
    el.who.hidden = false;
    setText(el["who-name"], me.user);
    el["who-operator"].hidden = !me.operator;
    renderRules(me);
    renderPicker(me.workspaces || []);
  }

  function renderRules(me) {
    const r = me.rules || {};
    const items = [
      "Lifetime: " + (r.maxLifetimeSeconds ? duration(r.maxLifetimeSeconds) + " at most"
                                           : "no limit"),
      "Idle timeout: " + (r.idleTimeoutSeconds
        ? "stopped after " + duration(r.idleTimeoutSeconds) + " without IDE requests"
        : "never"),
      "Start state: " + (r.startState === "preserved"
        ? "preserved (your work survives relaunches)"
        : "original (every launch starts afresh)"),
      "Relaunches: " + (r.relaunchMax < 0 ? "no limit" : r.relaunchMax + " in all")
        + (r.relaunchCooldownSeconds ? ", " + duration(r.relaunchCooldownSeconds)
           + " apart" : ""),
      "Limits per sandbox: " + (r.cpus ? r.cpus + " CPU" : "no CPU limit") + ", "
        + bytes(r.memoryBytes) + " memory",
    ];
    el.rules.replaceChildren(...items.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  }

  function renderPicker(workspaces) {
    const current = el.workspace.value;
    el.workspace.replaceChildren(...workspaces.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      return option;
    }));
    if (workspaces.includes(current)) el.workspace.value = current;
    el["workspace-picker"].hidden = workspaces.length <= 1;
  }

  function chosenWorkspace() {
    return el["workspace-picker"].hidden ? null : el.workspace.value || null;
  }

  function renderSandbox() {
    const sb = page.sandbox;
    const state = sb ? sb.state : "none";
    const active = ACTIVE.includes(state);
    setText(el.state, state);
    el.state.className = "badge state-" + state;
    el["progress-wrap"].hidden = !(state === "starting" || state === "stopping");
    el.reason.hidden = !(sb && sb.reason);
    el.reason.className = state === "crashed" ? "reason crashed" : "reason";
    setText(el.reason, sb && sb.reason ? "Reason: " + sb.reason : "");
    setText(el.notice, noticeFor(state));

    el.facts.hidden = !sb;
    if (sb) {
      setText(el["sandbox-id"], sb.id);
      setText(el["sandbox-workspace"], sb.workspace);
      setText(el["sandbox-start"], sb.startState);
      setText(el.idle, sb.idleTimeoutSeconds
        ? duration(sb.idleTimeoutSeconds) + " without IDE requests" : "never");
    }
    renderRelaunches(sb ? sb.relaunches : page.me && page.me.relaunches);

    const idle = !page.busy;
    el.launch.hidden = active;
    el.launch.disabled = !idle;
    el.relaunch.hidden = !(state === "starting" || state === "ready");
    el.relaunch.disabled = !idle;
    const preserved = sb && sb.startState === "preserved";
    el.discard.hidden = !(state === "starting" || state === "ready"
                          || (sb && !active && preserved));
    setText(el.discard, active ? "Discard" : "Delete preserved state");
    el.discard.disabled = !idle;
    if (el.discard.hidden) el.confirm.hidden = true;
    el["confirm-discard"].disabled = !idle;

    renderConnection(active ? sb : null);
    tick();
  }

  function noticeFor(state) {
    switch (state) {
      case "none": return "You have no sandbox yet: launch one.";
      case "starting": return "Your sandbox is starting…";
      case "ready": return "Your sandbox is ready: connect VS Code with the settings below.";
      case "stopping": return "Your sandbox is stopping…";
      case "gone": return "Your sandbox has ended. Launch a new one when you need it.";
      case "crashed": return "Your sandbox crashed. Launch a new one.";
      default: return "";
    }
  }

  function renderRelaunches(r) {
    if (!r) {
      setText(el.relaunches, "");
      return;
    }
    let text = r.left === null || r.left === undefined
      ? r.used + " used, no limit"
      : r.left + " left (" + r.used + " of " + r.max + " used)";
    if (r.cooldownSeconds) text += "; cool-down " + duration(r.cooldownSeconds);
    const next = r.nextAllowedAt ? Date.parse(r.nextAllowedAt) : NaN;
    if (r.left !== 0 && !Number.isNaN(next) && next > serverNow()) {
      text += "; next possible in " + clock((next - serverNow()) / 1000);
    }
    setText(el.relaunches, text);
  }

  function renderConnection(sb) {
    el.connect.hidden = !sb;
    if (!sb) return;
    const snippet = JSON.stringify(sb.vscodeSettings || {}, null, 2);
    if (el.snippet.textContent !== snippet) {
      setText(el.snippet, snippet);
      setText(el["copy-status"], "");
    }
    const c = sb.connection || {};
    setText(el["conn-url"], sb.url);
    setText(el["conn-host"], c.host);
    setText(el["conn-port"], c.port);
    setText(el["conn-prefix"], c.pathPrefix);
    setText(el["conn-namespace"], c.namespace);
    setText(el["conn-username"], c.username);
    setText(el["conn-password"], c.password);
  }

  // the live parts: remaining lifetime, time since the start, the relaunch cool-down
  function tick() {
    const sb = page.sandbox;
    if (!sb) {
      setText(el.remaining, "–");
      return;
    }
    if (!ACTIVE.includes(sb.state)) {
      setText(el.remaining, "ended");
    } else if (!sb.expiresAt) {
      setText(el.remaining, "no limit");
    } else {
      const left = (Date.parse(sb.expiresAt) - serverNow()) / 1000;
      setText(el.remaining, clock(left));
    }
    if (sb.state === "starting" || sb.state === "stopping") {
      const since = Date.parse(sb.createdAt);
      setText(el.elapsed, sb.state === "starting" && !Number.isNaN(since)
        ? Math.max(0, Math.floor((serverNow() - since) / 1000)) + " s" : "");
    }
    renderRelaunches(sb.relaunches);
  }

  // -- polling ---------------------------------------------------------------------------

  function stopPolling() {
    clearTimeout(page.pollTimer);
    page.pollTimer = 0;
  }

  function schedulePoll() {
    stopPolling();
    const state = page.sandbox ? page.sandbox.state : "none";
    const wait = state === "starting" || state === "stopping" ? FAST_POLL_MS : SLOW_POLL_MS;
    page.pollTimer = setTimeout(poll, wait);
  }

  async function poll() {
    const generation = page.generation;
    try {
      const sb = await fetchSandbox();
      if (generation !== page.generation || !page.me) return;
      page.sandbox = sb;
      renderSandbox();
    } catch (err) {
      if (generation !== page.generation) return;
      if (err.status === 401) {
        showLogin();
        showError(new ApiError(401, "Your session has ended: log in again.", null));
        return;
      }
      // a launcher that does not answer for a moment: keep the last state, keep asking
      setText(el.notice, "Could not ask the launcher for the state: " + err.message);
    }
    if (page.me) schedulePoll();
  }

  async function fetchSandbox() {
    try {
      return await api("GET", "/sandbox");
    } catch (err) {
      if (err.status === 404) return null;  // never launched one
      throw err;
    }
  }

  // -- actions ---------------------------------------------------------------------------

  async function act(what, fn) {
    if (page.busy) return;
    page.busy = true;
    page.generation += 1;
    stopPolling();
    clearError();
    renderSandbox();
    try {
      const sb = await fn();
      if (sb !== undefined) page.sandbox = sb;
    } catch (err) {
      if (err.status === 401) {
        page.busy = false;
        showLogin();
        showError(new ApiError(401, "Your session has ended: log in again.", null));
        return;
      }
      showError(err, what);
    }
    page.busy = false;
    if (page.me) {
      renderSandbox();
      schedulePoll();
    }
  }

  async function start() {
    try {
      const me = await api("GET", "/me");
      showApp(me);
      page.sandbox = await fetchSandbox();
      renderSandbox();
      schedulePoll();
    } catch (err) {
      showLogin();
      if (err.status !== 401) showError(err, "Loading");
    }
  }

  el["login-form"].addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    el["login-submit"].disabled = true;
    try {
      const me = await api("POST", "/login", {username: el.username.value.trim(),
                                              password: el.password.value});
      el.password.value = "";
      showApp(me);
      page.sandbox = await fetchSandbox();
      renderSandbox();
      schedulePoll();
      (el.launch.hidden ? el.relaunch : el.launch).focus();
    } catch (err) {
      showError(err, "Logging in");
      el.password.select();
    } finally {
      el["login-submit"].disabled = false;
    }
  });

  el.logout.addEventListener("click", async () => {
    page.generation += 1;
    clearError();
    try {
      await api("POST", "/logout");
    } catch (err) {
      showError(err, "Logging out");
      return;
    }
    showLogin();
  });

  el.launch.addEventListener("click", () => act("Launch", () =>
    api("POST", "/sandbox", {workspace: chosenWorkspace()})));

  el.relaunch.addEventListener("click", () => act("Relaunch", () =>
    api("POST", "/sandbox/relaunch", {workspace: chosenWorkspace()})));

  el.discard.addEventListener("click", () => {
    const sb = page.sandbox;
    const ended = sb && !ACTIVE.includes(sb.state);
    el["drop-state-row"].hidden = !(sb && sb.startState === "preserved");
    el["drop-state"].checked = Boolean(ended);
    el["drop-state"].disabled = Boolean(ended);
    setText(el["confirm-question"], ended ? "Delete your preserved state?"
                                          : "Discard your sandbox?");
    setText(el["confirm-detail"], ended
      ? "Your saved workspace and state are deleted; the next launch starts afresh."
      : "It is stopped and removed; unsaved work in it is lost.");
    setText(el["confirm-discard"], ended ? "Yes, delete" : "Yes, discard");
    el.confirm.hidden = false;
    el["cancel-discard"].focus();
  });

  el["cancel-discard"].addEventListener("click", () => {
    el.confirm.hidden = true;
    el.discard.focus();
  });

  el["confirm-discard"].addEventListener("click", () => {
    const drop = !el["drop-state-row"].hidden && el["drop-state"].checked;
    el.confirm.hidden = true;
    act("Discard", () => api("DELETE", "/sandbox" + (drop ? "?dropState=true" : "")));
  });

  el["error-dismiss"].addEventListener("click", clearError);

  el.copy.addEventListener("click", async () => {
    const text = el.snippet.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        setText(el["copy-status"], "Copied.");
        return;
      } catch (_err) {
        // no permission: fall back to selecting the text
      }
    }
    const range = document.createRange();
    range.selectNodeContents(el.snippet);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    el.snippet.focus();
    setText(el["copy-status"], "Selected: press Ctrl+C (⌘C) to copy.");
  });

  setInterval(() => {
    if (page.me) tick();
  }, 1000);

  start();
})();
