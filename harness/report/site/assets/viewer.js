// The trace viewer: a run's samples per task (one row each, a cell per budget), filters, and one sample across
// budgets side by side. Data files are scripts that call HARNESS.put(key, data); they load on demand, by <script> tag
// (fetch() does not work from file://). The state lives in the URL's hash, so every view has a link.
"use strict";

const PAGE = 100;
const VERDICTS = { 1: ["✓", "correct"], 0: ["✗", "wrong"], 2: ["!", "failed"], 3: ["?", "not graded"] };
const RUN = window.HARNESS_RUN;
const HARNESS = (window.HARNESS = { data: {}, waiting: {} });
HARNESS.put = (key, data) => {
  HARNESS.data[key] = data;
  (HARNESS.waiting[key] || []).forEach((f) => f(data));
};
const $ = (sel) => document.querySelector(sel);
const form = $("#filters");

function load(src, key) {
  if (HARNESS.data[key]) return Promise.resolve(HARNESS.data[key]);
  return new Promise((resolve, reject) => {
    (HARNESS.waiting[key] = HARNESS.waiting[key] || []).push(resolve);
    if (HARNESS.waiting[key].length > 1) return;  // already being loaded
    const s = document.createElement("script");
    s.src = src;
    s.onerror = () => reject(new Error(`could not load ${src}; rebuild the site`));
    document.head.appendChild(s);
  });
}

function el(tag, attrs, ...kids) {  // text is always set as text: records hold model output, never markup
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}

function state() {
  return Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
}

function go(changes) {
  const s = { ...state(), ...changes };
  for (const k of Object.keys(s)) if (s[k] === "" || s[k] === undefined || s[k] === null) delete s[k];
  location.hash = new URLSearchParams(s).toString();
}

function options(select, pairs, value) {
  select.replaceChildren(...pairs.map(([v, text]) => el("option", { value: v }, text)));
  select.value = value;
}

async function route() {
  const s = state();
  const tasks = Object.keys(RUN.tasks);
  const task = tasks.includes(s.task) ? s.task : tasks[0];
  options(form.task, tasks.map((t) => [t, t]), task);
  $("#status").textContent = "loading…";
  const idx = await load(`data/${RUN.tasks[task]}/index.js`, `${task}/index`);
  const point = idx.points.findIndex((p) => p.budget === s.budget);
  options(form.budget, [["", "all"], ...idx.points.map((p) => [p.budget, p.label])], point < 0 ? "" : s.budget);
  options(form.reason, [["", "any"], ...idx.reasons.map((r, i) => [String(i), r])], s.reason ?? "");
  form.verdict.value = s.verdict ?? "";
  form.q.value = s.q ?? "";
  const shown = matching(idx, point, s);
  renderList(idx, shown, point, Number(s.page || 0), s.sample);
  const open = s.sample === undefined ? -1 : idx.items.findIndex((it) => itemKey(it) === s.sample);
  if (open >= 0) await renderSample(task, idx, open, point);
  else $("#sample").hidden = true;
}

function itemKey(item) {
  return `${item[0]}~${item[1]}`;
}

function matching(idx, point, s) {
  const ok = (cell) =>
    cell && (s.verdict === undefined || cell[0] === Number(s.verdict)) && (s.reason === undefined || cell[1] === Number(s.reason));
  const out = [];
  idx.items.forEach((item, i) => {
    if (s.q && !String(item[0]).includes(s.q)) return;
    const cells = idx.cells[i];
    if (point >= 0 ? ok(cells[point]) : cells.some(ok)) out.push(i);
  });
  return out;
}

function renderList(idx, shown, point, page, open) {
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  page = Math.min(page, pages - 1);
  $("#status").textContent = `${shown.length} of ${idx.items.length} samples of ${idx.task} match`;
  const head = el("tr", {}, el("th", {}, "sample"), idx.points.map((p, j) => el("th", { class: j === point ? "current" : "" }, p.label)));
  $("#list thead").replaceChildren(head);
  const rows = shown.slice(page * PAGE, (page + 1) * PAGE).map((i) => {
    const item = idx.items[i];
    const name = idx.seeds ? `${item[0]} (seed ${item[1]})` : item[0];
    const cells = idx.cells[i].map((c) =>
      c ? el("td", { class: `cell v${c[0]}`, title: `${VERDICTS[c[0]][1]}; ${idx.reasons[c[1]]}` }, `${VERDICTS[c[0]][0]} ${c[2]} tok`)
        : el("td", { class: "cell absent" }, "–"));
    const attrs = { "data-sample": itemKey(item), class: itemKey(item) === open ? "open" : "", onclick: () => go({ sample: itemKey(item) }) };
    return el("tr", attrs, el("td", {}, name), cells);
  });
  $("#list tbody").replaceChildren(...rows);
  const nav = [];
  if (page > 0) nav.push(el("button", { type: "button", onclick: () => go({ page: page - 1 }) }, "‹ previous"));
  nav.push(` page ${page + 1} of ${pages} `);
  if (page < pages - 1) nav.push(el("button", { type: "button", onclick: () => go({ page: page + 1 }) }, "next ›"));
  $("#pager").replaceChildren(...nav);
}

async function renderSample(task, idx, i, point) {
  const chunk = Math.floor(i / idx.chunk);
  const part = await load(`data/${RUN.tasks[task]}/${chunk}.js`, `${task}/${chunk}`);
  const records = part.records[i % idx.chunk];
  const question = part.question[i % idx.chunk];
  const first = records.find(Boolean) || {};
  const box = $("#sample");
  box.hidden = false;
  box.replaceChildren(
    el("h2", {}, `sample ${idx.items[i][0]}`, idx.seeds ? ` (seed ${idx.items[i][1]})` : ""),
    el("h3", {}, "question"),
    question === null ? absent("question not recorded: the run was made without --log-samples") : el("pre", { class: "question" }, question),
    el("p", {}, el("b", {}, "gold: "), first.gold ?? "–"),
    el("div", { class: "columns" }, records.map((r, j) => column(r, idx.points[j].label, j === point))),
  );
  box.scrollIntoView();
}

function absent(text) {
  return el("p", { class: "absent" }, text);
}

function fold(summary, body, open) {
  const d = el("details", {}, el("summary", {}, summary), body);
  if (open) d.open = true;
  return d;
}

function column(r, label, current) {
  if (!r) return el("div", { class: "column" }, el("h3", {}, label), absent("not run at this budget"));
  return el("div", { class: `column${current ? " current" : ""}`, "data-budget": String(r.budget) },
    el("h3", {}, label), verdictLine(r), answerPart(r), thinkingPart(r), solutionPart(r),
    r.answer_type === "code" ? codePart(r) : null, numbers(r), callsPart(r));
}

function verdictLine(r) {
  if (r.status === "failed") return el("p", { class: "verdict v2" }, "failed: ", r.error || "no error recorded");
  const v = r.correct === true ? 1 : r.correct === false ? 0 : 3;
  const reason = r.answer_type === "code" ? r.verdict : r.verdict_reason;
  return el("p", { class: `verdict v${v}` }, VERDICTS[v][1], reason ? ` (${reason})` : "");
}

function answerPart(r) {
  if (r.answer_type === "code") return null;
  return el("p", {}, el("b", {}, "extracted: "), r.extracted ?? el("span", { class: "absent" }, "none"), el("b", {}, "  gold: "), r.gold);
}

function thinkingPart(r) {
  const cut = r.thinking_end === "budget";
  const text = r.thinking ? el("pre", { class: "thinking" }, r.thinking, cut ? el("span", { class: "cut" }, `✂ cut here at the budget (${r.budget})`) : null)
    : absent(r.thinking_source === "hidden" ? "thinking hidden by the server" : "no thinking text recorded");
  const summary = `thinking: ${r.thinking_tokens ?? 0} tokens, ended: ${r.thinking_end}${r.thinking_closed === false ? " (never closed)" : ""}`;
  return fold(summary, text, false);
}

function solutionPart(r) {
  const cutAnswer = r.hit_budget && r.thinking_end !== "budget";
  return el("div", {},
    el("h4", {}, "forced cue"),
    r.forced_text ? el("pre", { class: "forced" }, r.forced_text) : absent("none (no cue was forced)"),
    el("h4", {}, "solution"),
    r.answer ? el("pre", { class: "solution" }, r.answer, cutAnswer ? el("span", { class: "cut" }, "✂ response cut here at the budget") : null)
      : absent("no solution text"));
}

function codePart(r) {
  const tests = r.test_verdicts || [];
  return el("div", {},
    el("h4", {}, "program"),
    r.extracted ? el("pre", { class: "program" }, r.extracted) : absent("no code block in the answer"),
    el("h4", {}, `tests (${tests.length} run; a failing test stops the rest)`),
    tests.length ? el("ol", { class: "tests" }, tests.map((t) => el("li", { class: t === "passed" ? "v1" : "v0" }, t))) : absent("no test was run"),
    el("p", {}, el("b", {}, "sandbox: "), r.verdict_reason || "no message"));
}

function numbers(r) {
  const rows = [
    ["tokens", `thinking ${r.thinking_tokens ?? 0}, solution ${r.solution_tokens ?? 0}, total ${r.total_tokens ?? 0}; prompt ${r.prompt_tokens ?? 0}`],
    ["latency", `${(r.latency_s ?? 0).toFixed(2)} s${r.ttft_s != null ? `, first token ${r.ttft_s.toFixed(2)} s` : ""}${r.latency_modelled ? " (partly modelled: reused call)" : ""}`],
    ["calls", `${r.n_calls ?? 0}${r.cached_calls ? `, ${r.cached_calls} from the cache` : ""}${r.derived_from != null ? `; cut from the budget-${r.derived_from} call` : ""}`],
  ];
  return el("table", { class: "numbers" }, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
}

function callsPart(r) {
  if (!r.calls) return absent(`${r.n_calls ?? 0} call(s); their prompts and outputs were not recorded (run with --log-samples)`);
  const head = el("tr", {}, ["role", "tokens / max", "finish", "wall s", "first token s", ""].map((h) => el("th", {}, h)));
  const rows = r.calls.map((c) => el("tr", {},
    el("td", {}, c.role), el("td", {}, `${c.tokens} / ${c.max_tokens}`), el("td", {}, c.finish_reason + (c.error ? `: ${c.error}` : "")),
    el("td", {}, (c.wall_s ?? 0).toFixed(2)), el("td", {}, c.ttft_s != null ? c.ttft_s.toFixed(2) : "–"),
    el("td", {}, fold("prompt", el("pre", {}, c.prompt)), fold("output", el("pre", {}, c.output)))));
  return fold(`calls (${r.calls.length})`, el("table", { class: "calls" }, head, rows), false);
}

form.addEventListener("change", (ev) => {
  const changes = { [ev.target.name]: ev.target.value, page: "" };
  if (ev.target.name === "task") Object.assign(changes, { budget: "", reason: "", sample: "" });
  go(changes);
});
form.q.addEventListener("input", () => go({ q: form.q.value, page: "" }));
form.addEventListener("submit", (ev) => ev.preventDefault());
window.addEventListener("hashchange", () => route().catch(fail));
route().catch(fail);

function fail(e) {
  $("#status").replaceChildren(el("span", { class: "verdict v0" }, e.message));
}
