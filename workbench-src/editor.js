// The workbench's rule file editor: CodeMirror 6 with YAML highlighting and diagnostics.
// Bundled by `npm run build` into marketing_rules/service/static/workbench/editor.js (global WorkbenchEditor).
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { yaml } from "@codemirror/legacy-modes/mode/yaml";
import { lintGutter, setDiagnostics } from "@codemirror/lint";

/** An editor in `parent` holding `text`; `onChange(text)` after every edit. */
export function create(parent, text, onChange) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(), history(),
        bracketMatching(), lintGutter(), StreamLanguage.define(yaml),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.updateListener.of((update) => { if (update.docChanged) onChange(update.state.doc.toString()); }),
      ],
    }),
  });
  return view;
}

export function getText(view) { return view.state.doc.toString(); }

/** Replace the whole text (loading another file, or rows written back from a grid). */
export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

function offset(doc, line, column) {
  const at = doc.line(Math.min(Math.max(line || 1, 1), doc.lines));
  return Math.min(at.from + Math.max((column || 1) - 1, 0), at.to);
}

/** Mark diagnostics ({line, column, message, severity}) in the text. */
export function mark(view, diagnostics) {
  const doc = view.state.doc;
  const marks = diagnostics.map((d) => {
    const from = offset(doc, d.line, d.column);
    const to = Math.max(from, doc.lineAt(from).to);
    return { from, to, severity: d.severity || "error", message: d.message };
  });
  view.dispatch(setDiagnostics(view.state, marks));
}

/** Move the cursor to a line and show it. */
export function goTo(view, line, column) {
  const at = offset(view.state.doc, line, column);
  view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
  view.focus();
}
