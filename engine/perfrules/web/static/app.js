/* perfrules pages: the little script the pages need (no library, no build step).
 *
 * - 评分: collect the generated form into a fact file (JSON), POST it to /api/evaluate, show
 *   the answer, or mark each problem beside the field its path names;
 * - list facts: add and remove rows;
 * - 批量: sort the results table by a clicked header.
 *
 * Data from the server or the user is written with textContent and createElement only,
 * never innerHTML, so a department named <script> stays text.
 */
"use strict";

(function () {
  const zh = document.documentElement.lang !== "en";
  const say = (c, e) => (zh ? c : e);

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- the policy picker and list rows ------------------------------------------------------
  const pick = document.getElementById("pick-policy");
  if (pick) pick.addEventListener("change", () => pick.form.submit());

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) return;
    if (target.classList.contains("add-row")) {
      const list = target.closest("[data-list]");
      const row = list.querySelector("template").content.firstElementChild.cloneNode(true);
      list.querySelector("tbody").appendChild(row);
      const first = row.querySelector("input, select");
      if (first) first.focus();
    } else if (target.classList.contains("remove-row")) {
      target.closest("tr").remove();
    }
  });

  // ---- values: what a field sends ----------------------------------------------------------
  const NUMBER = /^[+-]?(\d[\d,]*)?(\.\d+)?$/;

  function value(control) {
    const raw = control.value.trim();
    const type = control.dataset.type;
    if (raw === "") return undefined;
    if (type === "boolean") return raw === "true";
    if (type === "texts") return raw.split(/[；;|]/).map((t) => t.trim()).filter((t) => t);
    if ((type === "money" || type === "percent") && NUMBER.test(raw)) {
      return raw + (control.dataset.unit || (type === "percent" ? "%" : "万元"));
    }
    return raw;       // numbers as text: the engine reads "3" and "100%" as a fact file writes them
  }

  function put(target, control, key) {
    const v = value(control);
    if (v !== undefined) target[key] = v;
    else if (control.dataset.required === "true") target[key] = "";   // the engine says where it is missing
  }

  function collect(form) {
    const facts = {};
    form.querySelectorAll(".facts > .field:not(.list) [data-key]").forEach((c) => put(facts, c, c.dataset.key));
    form.querySelectorAll(".facts > .field.list").forEach((list) => {
      const key = list.dataset.list;
      const rows = [];
      list.querySelectorAll("tbody tr").forEach((tr, i) => {
        tr.dataset.path = `$.facts.${key}[${i}]`;
        const row = {};
        tr.querySelectorAll("td.cell").forEach((td) => {
          td.dataset.path = `$.facts.${key}[${i}].${td.dataset.field}`;
          const c = td.querySelector("[data-key]");
          if (c) put(row, c, c.dataset.key);
        });
        rows.push(row);
      });
      if (rows.length || list.dataset.required === "true") facts[key] = rows;
    });
    const body = { policy: form.dataset.policy, department: form.querySelector("[data-basic=department]").value.trim(),
                   facts: facts };
    const year = form.querySelector("[data-basic=year]").value.trim();
    if (year) body.year = /^\d+$/.test(year) ? Number(year) : year;
    ["short_name", "code"].forEach((key) => {
      const v = form.querySelector(`[data-basic=${key}]`).value.trim();
      if (v) body[key] = v;
    });
    return body;
  }

  // ---- problems beside their fields --------------------------------------------------------
  function clearProblems(form) {
    form.querySelectorAll(".has-problem").forEach((n) => n.classList.remove("has-problem"));
    form.querySelectorAll(".problem").forEach((n) => n.replaceChildren());
    const top = document.getElementById("top-problems");
    top.hidden = true;
    top.querySelector("ul").replaceChildren();
  }

  function placeFor(form, path) {
    const byPath = new Map();
    form.querySelectorAll("[data-path]").forEach((n) => byPath.set(n.dataset.path, n));
    let p = path || "";
    while (p && p !== "$" && p !== "$.facts") {
      const node = byPath.get(p);
      if (node) return node;
      const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
      p = cut > 0 ? p.slice(0, cut) : "";
    }
    return null;
  }

  function showProblems(form, problems, beside) {
    clearProblems(form);
    const top = document.getElementById("top-problems");
    let first = null;
    problems.forEach((p) => {
      let place = beside ? placeFor(form, p.path) : null;    // an upload's problems are in its file
      if (place && place.tagName === "TR") place = place.closest(".field");
      const slot = place && place.querySelector(":scope > .problem");
      if (slot) {
        place.classList.add("has-problem");
        slot.appendChild(el("span", "problem-message", p.message));
        first = first || place;
      } else {
        const li = el("li", "problem-item");
        li.appendChild(el("span", "code", p.code));
        if (p.file && p.file !== "请求正文") li.appendChild(el("span", "where", p.file + (p.line ? ":" + p.line : "")));
        li.appendChild(el("span", "message", p.message || p.error));
        if (p.hint) li.appendChild(el("div", "hint", p.hint));
        top.querySelector("ul").appendChild(li);
        top.hidden = false;
      }
    });
    const focus = top.hidden ? first : top;
    if (focus) focus.scrollIntoView({ block: "center" });
  }

  // ---- the answer --------------------------------------------------------------------------
  function rows(tbody, nodes, depth) {
    nodes.forEach((n) => {
      const tr = el("tr", (n.children ? "group" : "leaf") + " depth-" + depth);
      tr.appendChild(el("td", "id", n.id));
      const name = el("td", "name", n.name);
      name.style.paddingLeft = 0.4 + depth * 1.2 + "em";
      tr.appendChild(name);
      tr.appendChild(el("td", "num", n.points));
      tr.appendChild(el("td", "num score", n.score));
      tr.appendChild(el("td", "num deduction", n.deduction && n.deduction !== "0.00" ? n.deduction : ""));
      const reasons = el("td", "reasons");
      (n.reasons || []).forEach((r) => reasons.appendChild(el("div", null, r)));
      tr.appendChild(reasons);
      tbody.appendChild(tr);
      if (n.children) rows(tbody, n.children, depth + 1);
    });
  }

  function showResult(answer, text, submission) {
    const section = document.getElementById("result");
    document.getElementById("result-department").textContent = answer.department;
    document.getElementById("score").textContent = answer.score;
    document.getElementById("max-score").textContent = answer.max_score;
    document.getElementById("grade").textContent = answer.grade;
    document.getElementById("conclusion").textContent = answer.conclusion;
    const stored = document.getElementById("stored");
    stored.replaceChildren();
    if (submission) {
      const a = el("a", null, say("已保存为记录 #", "stored as #") + submission);
      a.href = "/submissions/" + encodeURIComponent(submission);
      stored.appendChild(a);
    }
    const warnings = document.getElementById("warnings");
    warnings.replaceChildren();
    (answer.warnings || []).forEach((w) => warnings.appendChild(el("li", null, w.message || JSON.stringify(w))));
    const tbody = document.getElementById("score-rows");
    tbody.replaceChildren();
    rows(tbody, answer.indicators || [], 0);
    section.dataset.json = text;
    section.hidden = false;
    section.scrollIntoView({ block: "start" });
  }

  const langQuery = () => (zh ? "" : "&lang=en");
  let lastRequest = null;     // () => fetch options, to ask again for the docx

  async function send(form, options, beside) {
    const busy = document.getElementById("busy");
    busy.hidden = false;
    try {
      const response = await fetch("/api/evaluate?format=json" + langQuery(), options());
      const text = await response.text();
      let data = {};
      try { data = JSON.parse(text); } catch (e) { data = { problems: [], error: text }; }
      if (response.ok) {
        clearProblems(form);
        lastRequest = options;
        showResult(data, text, response.headers.get("X-Submission-Id"));
      } else {
        document.getElementById("result").hidden = true;
        const problems = data.problems && data.problems.length ? data.problems
          : [{ code: String(response.status), message: data.error || say("评分失败。", "Scoring failed."), path: "" }];
        showProblems(form, problems, beside);
      }
    } catch (e) {
      showProblems(form, [{ code: "", message: say("无法连接评分服务：", "Cannot reach the service: ") + e, path: "" }], false);
    } finally {
      busy.hidden = true;
    }
  }

  function download(blob, name) {
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function copy(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
    } else {
      fallbackCopy(text, done);
    }
  }

  function fallbackCopy(text, done) {       // intranet pages on plain http have no clipboard API
    const area = el("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { area.remove(); }
    done();
  }

  const form = document.getElementById("evaluate-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = JSON.stringify(collect(form));
      send(form, () => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: body }), true);
    });
    const upload = document.getElementById("upload-form");
    upload.addEventListener("submit", (event) => {
      event.preventDefault();
      const file = upload.querySelector("input[type=file]").files[0];
      if (!file) return;
      send(form, () => { const data = new FormData(); data.append("file", file); return { method: "POST", body: data }; }, false);
    });
    document.getElementById("download-json").addEventListener("click", () => {
      const text = document.getElementById("result").dataset.json || "";
      download(new Blob([text], { type: "application/json" }), say("评分结果.json", "result.json"));
    });
    document.getElementById("download-docx").addEventListener("click", async () => {
      if (!lastRequest) return;
      const response = await fetch("/api/evaluate?format=docx" + langQuery(), lastRequest());
      if (response.ok) {
        download(await response.blob(), say("自评报告.docx", "report.docx"));
      } else {
        let data = {};
        try { data = await response.json(); } catch (e) { data = {}; }
        showProblems(form, (data.problems && data.problems.length) ? data.problems
          : [{ code: String(response.status), message: data.error || say("无法生成报告。", "No report."), path: "" }], false);
      }
    });
    document.getElementById("copy-conclusion").addEventListener("click", () => {
      copy(document.getElementById("conclusion").textContent, () => {
        document.getElementById("copied").textContent = say("已复制", "copied");
      });
    });
  }

  // ---- sortable tables ---------------------------------------------------------------------
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("th[data-sort]").forEach((th, column) => {
      th.tabIndex = 0;
      const sort = () => {
        const up = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        const numeric = th.dataset.sort === "num";
        const key = (tr) => {
          const t = tr.children[column].textContent.trim();
          return numeric ? (t === "" ? -Infinity : Number(t)) : t;
        };
        const body = table.tBodies[0];
        const sorted = Array.from(body.rows).sort((a, b) => {
          const x = key(a), y = key(b);
          const c = numeric ? x - y : String(x).localeCompare(String(y), "zh-CN");
          return up ? c : -c;
        });
        sorted.forEach((tr) => body.appendChild(tr));
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sort(); });
    });
  });
})();
