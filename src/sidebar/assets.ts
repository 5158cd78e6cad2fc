/**
 * The panel's browser code and styles, served by closeloop (/closeloop/sidebar/panel.js, panel.css) and copied into the
 * Freshdesk app by `closeloop sidebar freshdesk`. Plain ES5-style JavaScript with no build step: it renders the same
 * panel for every helpdesk from the JSON API, and each helpdesk's adapter (below) says how to reach the API, which
 * conversation is open and how to open a link. DOM nodes are built with textContent, never HTML strings.
 */
export const PANEL_SCRIPT = String.raw`(function () {
  "use strict";
  var root = document.getElementById("closeloop-panel");
  var SOURCES = { body: "the issue body", comment: "a GitHub comment", helpdesk: "a helpdesk note", sidebar: "this sidebar", duplicate: "an issue closed as its duplicate" };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name.indexOf("on") === 0) node.addEventListener(name.slice(2), attrs[name]);
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // Each start (Front starts again when the rep opens another conversation) and each message takes the panel over:
  // an answer that arrives for an earlier one is dropped instead of drawing the wrong conversation's issues.
  var generation = 0;

  function start(options) {
    var mine = ++generation;
    var state = { panel: null, message: null, error: null, hits: [] };
    var searchTimer = null;

    function say(message, error) { state.message = error ? null : message; state.error = error ? message : null; render(); }
    function fail(error) { say(error && error.message ? error.message : "closeloop did not answer; try again", true); }
    function reload() {
      return options.call("links", { conversation: options.conversation }).then(function (panel) {
        state.panel = panel; render();
      }, fail);
    }
    function act(op, params, done) {
      say("Working…");
      params.conversation = options.conversation;
      // The notice and the list it speaks of appear together: "Unlinked" never shows beside the issue it removed.
      return options.call(op, params).then(function (result) {
        state.hits = [];
        return reload().then(function () { if (!state.error) say(done(result)); });
      }, fail);
    }

    function issueItem(link) {
      var ref = link.owner + "/" + link.name + "#" + link.number;
      var state = link.state === "open" ? "open" : "closed" + (link.stateReason ? " (" + link.stateReason.replace("_", " ") + ")" : "");
      var open = el("a", { href: link.url, target: "_blank", rel: "noopener noreferrer", class: "ref", text: ref });
      if (options.openUrl) open.addEventListener("click", function (event) { event.preventDefault(); options.openUrl(link.url); });
      var labels = el("span", { class: "labels" }, link.labels.map(function (label) {
        return el("span", { class: "label " + label.kind, text: label.name });
      }));
      var facts = [
        link.reports30 === null ? null : link.reports30 + (link.reports30 === 1 ? " report" : " reports") + " in 30 days",
        "linked from " + link.sources.map(function (s) { return SOURCES[s] || s; }).join(", "),
      ].filter(Boolean).join(" · ");
      var action = link.removable
        ? el("button", { type: "button", class: "unlink", text: "Unlink", "aria-label": "Unlink " + ref, onclick: function () {
            act("unlink", { issue: ref }, function (r) { return "Unlinked " + r.unlinked; });
          } })
        : el("span", { class: "muted", text: "From GitHub: remove the URL there to unlink" });
      return el("li", { class: "issue" }, [
        el("div", {}, [open, el("span", { class: "state " + link.state, text: state })]),
        el("div", { class: "title", text: link.title || "(title not seen yet)" }),
        labels,
        el("div", { class: "muted", text: facts }),
        el("div", { class: "reopen", text: link.reopen.text }),
        action,
      ]);
    }

    function linkForm() {
      var input = el("input", { type: "text", id: "closeloop-issue", name: "issue", autocomplete: "off",
        placeholder: "Issue URL, owner/repo#123, or words of its title" });
      input.addEventListener("input", function () {
        clearTimeout(searchTimer);
        var words = input.value.trim();
        if (words.length < 2 || /[\/#]/.test(words)) { state.hits = []; renderHits(); return; }
        searchTimer = setTimeout(function () {
          options.call("search", { q: words }).then(function (hits) { state.hits = hits; renderHits(); }, fail);
        }, 250);
      });
      var form = el("form", { class: "link", onsubmit: function (event) {
        event.preventDefault();
        act("link", { issue: input.value }, function (r) { return "Linked " + r.linked; });
      } }, [
        el("label", { for: "closeloop-issue", text: "Link an issue" }),
        el("div", { class: "row" }, [input, el("button", { type: "submit", text: "Link" })]),
        el("ul", { class: "hits", id: "closeloop-hits" }),
      ]);
      return form;
    }
    function renderHits() {
      var list = document.getElementById("closeloop-hits");
      if (!list) return;
      list.textContent = "";
      state.hits.forEach(function (hit) {
        var ref = hit.owner + "/" + hit.name + "#" + hit.number;
        list.appendChild(el("li", {}, [el("button", { type: "button", class: "hit", text: ref + " " + hit.title, onclick: function () {
          act("link", { issue: ref }, function (r) { return "Linked " + r.linked; });
        } })]));
      });
    }
    function createForm(repositories) {
      var select = el("select", { id: "closeloop-repository", name: "repository" }, repositories.map(function (name) {
        return el("option", { value: name, text: name });
      }));
      var title = el("input", { type: "text", id: "closeloop-title", name: "title", required: "required", maxlength: "256" });
      var body = el("textarea", { id: "closeloop-body", name: "body", rows: "3" });
      return el("form", { class: "create", onsubmit: function (event) {
        event.preventDefault();
        act("create", { repository: select.value, title: title.value, body: body.value, rep: options.rep || "" },
          function (r) { return "Created and linked " + r.created; });
      } }, [
        el("h2", { text: "Create an issue" }),
        el("label", { for: "closeloop-repository", text: "Repository" }), select,
        el("label", { for: "closeloop-title", text: "Title" }), title,
        el("label", { for: "closeloop-body", text: "Description" }), body,
        el("button", { type: "submit", text: "Create and link" }),
      ]);
    }

    function render() {
      if (mine !== generation) return;
      root.textContent = "";
      root.appendChild(el("h1", { text: "Linked GitHub issues" }));
      if (state.error) root.appendChild(el("p", { role: "alert", class: "error", text: state.error }));
      if (state.message) root.appendChild(el("p", { role: "status", class: "notice", text: state.message }));
      if (!state.panel) {
        if (!state.error) root.appendChild(el("p", { class: "muted", role: "status", text: "Loading…" }));
      } else if (state.panel.links.length === 0) {
        root.appendChild(el("p", { class: "empty", text: "No GitHub issue is linked to this conversation yet. Paste an issue URL or search by title below; closing a linked issue will reopen this conversation." }));
      } else {
        root.appendChild(el("ul", { class: "issues" }, state.panel.links.map(issueItem)));
      }
      if (state.panel) {
        root.appendChild(linkForm());
        renderHits();
        if (state.panel.repositories) root.appendChild(createForm(state.panel.repositories));
      }
    }

    if (options.resize) followHeight(options.resize);
    render();
    return reload();
  }

  // The vendor's iframe follows the panel's own height (the document's would never shrink below the iframe the vendor
  // already gave it), whatever changed it: a render, search hits appearing, text reflowing.
  var reportHeight = null;
  var heightObserver = null;
  function followHeight(resize) {
    reportHeight = resize;
    function report() { reportHeight(Math.ceil(root.getBoundingClientRect().height)); }
    if (!heightObserver && typeof ResizeObserver !== "undefined") {
      heightObserver = new ResizeObserver(report);
      heightObserver.observe(root);
    }
    report();
  }

  /** The JSON API on closeloop itself, with the page's sidebar token. */
  function fetchApi(helpdesk, token) {
    var routes = {
      links: ["GET", function (p) { return "api/links?helpdesk=" + helpdesk + "&conversation=" + encodeURIComponent(p.conversation); }],
      link: ["POST", function () { return "api/links"; }],
      unlink: ["DELETE", function () { return "api/links"; }],
      search: ["GET", function (p) { return "api/issues?q=" + encodeURIComponent(p.q); }],
      create: ["POST", function () { return "api/issues"; }],
    };
    return function (op, params) {
      var route = routes[op];
      var init = { method: route[0], headers: { authorization: "Bearer " + token }, credentials: "omit", referrerPolicy: "no-referrer" };
      if (route[0] !== "GET") {
        params.helpdesk = helpdesk;
        init.headers["content-type"] = "application/json";
        init.body = JSON.stringify(params);
      }
      return fetch(route[1](params), init).catch(function () {
        throw new Error("closeloop did not answer; check your connection and try again");
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error(body.error || "closeloop answered " + response.status);
          return body;
        });
      });
    };
  }

  /** Replaces the panel with one line: what to do (a status), or what went wrong (an alert). */
  function message(text, isError) {
    generation++;
    root.textContent = "";
    root.appendChild(el("p", isError ? { class: "error", role: "alert", text: text } : { class: "empty", role: "status", text: text }));
  }

  window.CloseloopPanel = { start: start, fetchApi: fetchApi, message: message, root: root };
})();
`;

/**
 * Help Scout: the signed URL named the conversation. No Help Scout script: the adapter posts the window messages Help
 * Scout's app SDK (@helpscout/javascript-sdk) posts, to Help Scout's origin only. Help Scout does not size an app's
 * iframe to its content: SET_APP_HEIGHT does. GET_APP_CONTEXT asks for the context, whose user names the rep for "Reported
 * via Help Scout by …"; it is display only, the conversation stays the signed one.
 */
const HELPSCOUT_ADAPTER = String.raw`(function () {
  var root = CloseloopPanel.root;
  var HELPSCOUT = "https://secure.helpscout.net";
  var framed = window.parent !== window;
  function send(type, extra) {
    if (!framed) return;
    var message = { type: type, appId: (window.name || "").replace(/^app-side-panel-|^app-/, ""), iframeId: window.name };
    Object.keys(extra || {}).forEach(function (key) { message[key] = extra[key]; });
    window.parent.postMessage(message, HELPSCOUT);
  }
  var options = {
    conversation: root.getAttribute("data-conversation"),
    call: CloseloopPanel.fetchApi("helpscout", root.getAttribute("data-token")),
    resize: function (height) { send("SET_APP_HEIGHT", { value: height }); },
  };
  window.addEventListener("message", function (event) {
    if (event.origin !== HELPSCOUT || !event.data || event.data.type !== "SEND_APP_CONTEXT") return;
    var user = event.data.user;
    var name = user ? [user.firstName, user.lastName].filter(Boolean).join(" ") : "";
    if (name) options.rep = name;
  });
  send("GET_APP_CONTEXT");
  CloseloopPanel.start(options);
})();
`;

/** Zendesk: the ticket and the agent's name come from the ZAF client; the app's iframe is resized to the panel. */
const ZENDESK_ADAPTER = String.raw`(function () {
  var root = CloseloopPanel.root;
  if (typeof ZAFClient === "undefined") {
    CloseloopPanel.message("Zendesk's app framework (static.zdassets.com) did not load: reload the ticket; if it persists, that address is blocked.", true);
    return;
  }
  var client = ZAFClient.init();
  client.get(["ticket.id", "currentUser.name"]).then(function (data) {
    if (!data["ticket.id"]) { CloseloopPanel.message("Open a ticket to see its linked GitHub issues."); return; }
    CloseloopPanel.start({
      conversation: String(data["ticket.id"]),
      rep: data["currentUser.name"],
      call: CloseloopPanel.fetchApi("zendesk", root.getAttribute("data-token")),
      resize: function (height) { client.invoke("resize", { width: "100%", height: Math.min(height, 800) + "px" }); },
    });
  }, function () { CloseloopPanel.message("Zendesk did not say which ticket is open; reload the ticket.", true); });
})();
`;

/** Front: the conversation comes from the plugin SDK's context, and links open through Front. */
const FRONT_ADAPTER = String.raw`(function () {
  var root = CloseloopPanel.root;
  var current = null;
  if (typeof Front === "undefined") {
    CloseloopPanel.message("Front's plugin SDK (dl.frontapp.com) did not load: reload the plugin; if it persists, that address is blocked.", true);
    return;
  }
  Front.contextUpdates.subscribe(function (context) {
    if (context.type !== "singleConversation") {
      current = null;
      CloseloopPanel.message(context.type === "multiConversations"
        ? "Select one conversation to see its linked GitHub issues."
        : "Open a conversation to see its linked GitHub issues.");
      return;
    }
    if (current === context.conversation.id) return;
    current = context.conversation.id;
    CloseloopPanel.start({
      conversation: current,
      rep: context.teammate && context.teammate.name,
      call: CloseloopPanel.fetchApi("front", root.getAttribute("data-token")),
      openUrl: function (url) { Front.openUrl(url); },
    });
  });
})();
`;

/** The adapters closeloop serves, by helpdesk (Freshdesk's lives in its generated app). */
export const PAGE_ADAPTERS: Readonly<Record<string, string>> = {
  helpscout: HELPSCOUT_ADAPTER,
  zendesk: ZENDESK_ADAPTER,
  front: FRONT_ADAPTER,
};

/** Fits a 320 px sidebar: one column, wrapping text, full-width controls. */
export const PANEL_STYLESHEET = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#fff}
main{padding:8px;max-width:100%;overflow-wrap:anywhere}
h1{font-size:14px;margin:0 0 8px}
h2{font-size:13px;margin:12px 0 4px}
ul{list-style:none;margin:0;padding:0}
.issue{border-top:1px solid #d0d7de;padding:6px 0}
.ref{font-weight:600;color:#0969da;margin-right:6px}
.state{font-size:11px;border-radius:8px;padding:0 6px;background:#dafbe1;color:#116329}
.state.closed{background:#eee;color:#57606a}
.title{margin:2px 0}
.label{display:inline-block;font-size:11px;border:1px solid #d0d7de;border-radius:8px;padding:0 6px;margin:2px 4px 2px 0}
.label.frequency{background:#fff8c5}
.muted,.reopen{color:#57606a;font-size:12px}
.empty{color:#57606a}
.error{color:#cf222e;font-weight:600}
.notice{color:#116329}
label{display:block;font-weight:600;margin:8px 0 2px}
input,select,textarea{width:100%;font:inherit;padding:4px;border:1px solid #d0d7de;border-radius:4px}
.row{display:flex;gap:4px}
.row input{flex:1;min-width:0}
button{font:inherit;padding:4px 8px;border:1px solid #d0d7de;border-radius:4px;background:#f6f8fa;cursor:pointer;margin-top:4px}
button[type=submit]{background:#1f883d;color:#fff;border-color:#1f883d}
.hit{display:block;width:100%;text-align:left;background:#fff}
`;
