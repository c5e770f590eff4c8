// The rules editor: one CodeMirror 6 editor (YAML mode) per definition file. Every change is checked by
// the server with the engine's own loader; its problems (file, line, field, in the reader's language) are
// shown as lint marks at their line and in the list under the editor.
import { EditorView, basicSetup } from "codemirror";
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics } from "@codemirror/lint";

const root = document.getElementById("rules-editor");
if (root) {
  const csrf = () => document.querySelector("meta[name=csrf-token]")?.content || "";
  const msg = root.dataset;
  const editors = new Map();
  let problems = [];
  let timer = null;
  let seq = 0;

  const sources = () => Object.fromEntries([...editors].map(([name, view]) => [name, view.state.doc.toString()]));
  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }, body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

  function show(result) {
    problems = result.problems || (result.details && result.details.problems) || [];
    const summary = root.querySelector("[data-check-summary]");
    summary.textContent = result.summary || result.message || "";
    summary.className = problems.length ? "error" : "ok";
    const list = root.querySelector("[data-problems]");
    list.replaceChildren(...problems.map((p) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "#"; a.dataset.goto = p.file; a.dataset.line = p.line || 1;
      const code = document.createElement("code"); code.textContent = p.where; a.append(code);
      li.append(a, " ", p.text);
      return li;
    }));
    for (const [name] of editors) {
      const n = problems.filter((p) => p.file === name).length;
      root.querySelector(`[data-count="${CSS.escape(name)}"]`).textContent = n ? String(n) : "";
    }
    for (const [name, view] of editors) view.dispatch(setDiagnostics(view.state, diagnosticsFor(name)(view)));
  }

  async function check() {
    const mine = ++seq;
    root.querySelector("[data-check-summary]").textContent = msg.msgChecking;
    try {
      const { body } = await post(root.dataset.validateUrl, { sources: sources() });
      if (mine === seq) show(body);
    } catch (e) {
      root.querySelector("[data-check-summary]").textContent = msg.msgFailed;
    }
  }

  function diagnosticsFor(name) {
    return (view) => problems.filter((p) => p.file === name).map((p) => {
      const lineNo = Math.min(Math.max(p.line || 1, 1), view.state.doc.lines);
      const line = view.state.doc.line(lineNo);
      return { from: line.from, to: Math.max(line.to, line.from), severity: "error",
               message: `${p.path ? p.path + ": " : ""}${p.text}` };
    });
  }

  function select(name, lineNo) {
    for (const pane of root.querySelectorAll("[data-pane]")) pane.hidden = pane.dataset.pane !== name;
    for (const tab of root.querySelectorAll("[data-tab]")) tab.classList.toggle("on", tab.dataset.tab === name);
    const view = editors.get(name);
    if (view && lineNo) {
      const line = view.state.doc.line(Math.min(Math.max(lineNo, 1), view.state.doc.lines));
      view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
      view.focus();
    }
  }

  for (const area of root.querySelectorAll("textarea[data-file]")) {
    const name = area.dataset.file;
    area.hidden = true;
    const view = new EditorView({
      doc: area.value,
      parent: area.parentElement,
      extensions: [
        basicSetup, yaml(), lintGutter(),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          area.value = u.state.doc.toString(); // the publish form posts the text as seen
          clearTimeout(timer); timer = setTimeout(check, 400);
        }),
      ],
    });
    view.dom.dataset.editor = name;
    editors.set(name, view);
  }
  window.rulesEditor = { editors, sources, check };

  root.addEventListener("click", (e) => {
    const tab = e.target.closest("[data-tab]");
    if (tab) { select(tab.dataset.tab); return; }
    const go = e.target.closest("[data-goto]");
    if (go) { e.preventDefault(); select(go.dataset.goto, Number(go.dataset.line)); }
  });

  async function save() {
    const status = root.querySelector("[data-save-status]");
    try {
      const { status: code, body } = await post(root.dataset.saveUrl, { sources: sources() });
      status.textContent = code === 200 ? `${msg.msgSaved} ${body.saved_at}` : body.message;
      if (code === 200) show(body);
      return code === 200;
    } catch (e) {
      status.textContent = msg.msgFailed;
      return false;
    }
  }
  root.querySelector("[data-action=save]").addEventListener("click", save);

  // "Save and simulate": the simulation replays the saved draft.
  const simForm = document.querySelector("[data-simulate-form]");
  if (simForm) {
    simForm.addEventListener("htmx:confirm", (e) => {
      e.preventDefault();
      save().then((ok) => { if (ok) e.detail.issueRequest(true); });
    });
  }

  select(root.dataset.initialFile || "routing.yaml");
  check();
}
