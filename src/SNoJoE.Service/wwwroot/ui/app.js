// The SNoJoE page: plain JavaScript, no dependencies, no build step.
// Every URL is relative to the page (no leading slash) so the page works behind a path prefix.
'use strict';

(() => {
  const KEY_STORAGE = 'snojoe.apiKey';
  const BATCH_CHUNK = 16; // images per /score/batch request (the service accepts up to Limits:MaxBatchImages)
  const SVG = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  const keyInput = $('api-key');
  const modelBox = $('model');
  const results = $('results');
  const status = $('status');
  const fileInput = $('files');
  const drop = $('drop');

  let model = null; // the last /model answer, for thresholds and calibration
  let modelRequest = null;

  // ---- small DOM helpers (text only: nothing from a response is parsed as HTML) ----
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') element.className = value;
      else if (name === 'text') element.textContent = value;
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function svg(tag, attributes, ...children) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, String(value));
    for (const child of children.flat()) if (child) element.append(child);
    return element;
  }

  const fixed = (x, digits = 2) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '?');
  const percent = (p) => `${(p * 100).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)}%`;

  // ---- the API key: in the field, and at most in this tab's sessionStorage ----
  function apiKey() {
    return keyInput.value.trim();
  }

  function headers() {
    const key = apiKey();
    return key ? { 'X-API-Key': key } : {};
  }

  try {
    keyInput.value = sessionStorage.getItem(KEY_STORAGE) || '';
  } catch { /* storage disabled: the field alone holds the key */ }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      if (apiKey()) sessionStorage.setItem(KEY_STORAGE, apiKey());
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch { /* ignore */ }
    loadModel();
  });

  $('forget-key').addEventListener('click', () => {
    keyInput.value = '';
    try { sessionStorage.removeItem(KEY_STORAGE); } catch { /* ignore */ }
    loadModel();
  });

  // ---- responses: JSON, or an RFC 9457 problem, or something else that still gets words ----
  async function readResponse(response) {
    const type = response.headers.get('Content-Type') || '';
    let body = null;
    if (type.includes('json')) {
      try { body = await response.json(); } catch { body = null; }
    }
    if (response.ok && body) return { ok: true, body };
    if (body && (body.title || body.detail)) {
      return { ok: false, problem: { title: body.title || `HTTP ${response.status}`, detail: body.detail || '', status: body.status || response.status, type: body.type } };
    }
    return {
      ok: false,
      problem: { title: `HTTP ${response.status} ${response.statusText || ''}`.trim(), detail: response.ok ? 'The answer was not JSON.' : 'The server answered without a problem description.', status: response.status },
    };
  }

  function networkProblem(error) {
    return { title: 'The service could not be reached', detail: String(error && error.message ? error.message : error), status: 0 };
  }

  function problemBox(problem) {
    return h('div', { class: 'problem', role: 'alert' },
      h('p', { class: 'problem-title' }, h('span', { 'aria-hidden': 'true' }, '✖ '), h('strong', { text: problem.title })),
      problem.detail ? h('p', { class: 'problem-detail', text: problem.detail }) : null,
      problem.status ? h('p', { class: 'problem-status', text: `HTTP status ${problem.status}` }) : null);
  }

  // ---- the model panel ----
  async function loadModel() {
    modelBox.setAttribute('aria-busy', 'true');
    const request = (modelRequest = fetch('model', { headers: headers(), cache: 'no-store' }).then(readResponse, (e) => ({ ok: false, problem: networkProblem(e) })));
    const answer = await request;
    if (request !== modelRequest) return; // a newer request (a new key) won
    modelBox.replaceChildren();
    if (answer.ok) {
      model = answer.body;
      modelBox.append(describeModel(model));
    } else {
      model = null;
      modelBox.append(problemBox(answer.problem));
      if (answer.problem.status === 401) modelBox.append(h('p', { class: 'hint', text: 'Enter an API key above and choose "Use key".' }));
    }
    modelBox.setAttribute('aria-busy', 'false');
  }

  function modelVersion(m) {
    if (m.version) return String(m.version);
    return m.sha256 ? `${m.name} @ ${String(m.sha256).slice(0, 12)}` : m.name;
  }

  // The score the verdict is based on, in words: the joint energy, or a score baked into the model (its name).
  function scoreName(name) {
    return !name || name === 'joint-energy' ? 'joint energy' : `score ${name}`;
  }

  function capitalised(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function describeModel(m) {
    const row = (term, ...value) => [h('dt', { text: term }), h('dd', {}, ...value)];
    const sn = m.spectralNorm || {};
    const provider = m.provider || {};
    const calibration = m.calibration;
    const thresholds = m.labelThresholds;
    const customThresholds = Array.isArray(thresholds) && thresholds.some((t) => t !== 0.5);
    // A model trained on the synthetic benchmark (the bundled one) is a demo: say so before anyone tries a photo.
    const demo = m.training && m.training.dataset === 'VOCSynth'
      ? h('p', { class: 'demo-note', 'data-field': 'demo-note', text: 'A demo model, trained on composed emoji scenes: real photographs are out of its distribution. To serve your own model, see docs/own-model.md in the repository.' })
      : null;
    const facts = h('dl', { class: 'model-facts', id: 'model-facts' },
      row('Name', h('span', { 'data-field': 'name', text: m.name })),
      row('Version', h('code', { 'data-field': 'version', text: modelVersion(m) })),
      row('Spectral norm', h('span', { 'data-field': 'spectral-norm', text: sn.mode ? `${sn.mode}${sn.coefficient ? ` (c = ${sn.coefficient})` : ''}` : 'unknown' })),
      row('Served score', h('span', { 'data-field': 'served-score', text: m.score && m.score.name !== 'joint-energy' ? m.score.name : 'joint energy' }),
        m.score && m.score.description ? h('span', { class: 'muted', 'data-field': 'served-score-details', text: ` — ${m.score.description}` }) : null),
      row('Threshold', h('span', { 'data-field': 'threshold', text: `${fixed(m.score && m.score.threshold, 4)} (${m.thresholdSource || 'manifest'})` }),
        calibration ? h('span', { class: 'muted', text: ` keeps ${percent(calibration.tpr)} of ${calibration.images} ${calibration.split} images` }) : null),
      row('Provider', h('span', { 'data-field': 'provider', text: `${provider.inUse || '?'} (requested ${provider.requested || '?'})${provider.fallbackReason ? `: ${provider.fallbackReason}` : ''}` })),
      row(`Labels (${(m.labels || []).length})`, h('span', { 'data-field': 'labels', class: 'labels-list', text: (m.labels || []).join(', ') }),
        h('span', { class: 'muted', text: customThresholds ? ' (per-label thresholds from the manifest)' : ' (present at probability ≥ 0.5)' })));
    return demo ? h('div', {}, demo, facts) : facts;
  }

  // ---- scoring ----
  fileInput.addEventListener('change', () => {
    const files = [...fileInput.files];
    fileInput.value = ''; // choosing the same file again scores it again
    score(files);
  });

  for (const name of ['dragenter', 'dragover']) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add('dragging');
    });
  }
  for (const name of ['dragleave', 'dragend']) drop.addEventListener(name, () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    score([...(event.dataTransfer ? event.dataTransfer.files : [])]);
  });
  // Dropped next to the zone, a file would otherwise replace the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());

  document.addEventListener('paste', (event) => {
    if (event.target === keyInput) return;
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) {
      event.preventDefault();
      score(files.map((f, i) => (f.name && f.name !== 'image.png' ? f : new File([f], `pasted-${Date.now()}-${i}.${(f.type.split('/')[1] || 'png')}`, { type: f.type }))));
    }
  });

  async function score(files) {
    if (!files.length) return;
    const cards = files.map((file) => {
      const card = newCard(file);
      results.prepend(card.element);
      return card;
    });
    status.textContent = files.length === 1 ? `Scoring ${files[0].name}…` : `Scoring ${files.length} images…`;
    if (!model) await (modelRequest || loadModel());

    if (files.length === 1) {
      await scoreOne(files[0], cards[0]);
    } else {
      for (let start = 0; start < files.length; start += BATCH_CHUNK) {
        const chunk = files.slice(start, start + BATCH_CHUNK);
        const form = new FormData();
        for (const file of chunk) form.append('image', file, file.name);
        const answer = await post('score/batch', form);
        if (!answer.ok && answer.problem.status === 400 && String(answer.problem.type || '').endsWith('/invalid-request')) {
          // More images than this deployment's Limits:MaxBatchImages: score them one by one instead.
          for (let i = 0; i < chunk.length; i++) await scoreOne(chunk[i], cards[start + i]);
          continue;
        }
        chunk.forEach((file, i) => {
          const card = cards[start + i];
          if (!answer.ok) return card.showProblem(answer.problem);
          const items = Array.isArray(answer.body) ? answer.body : (answer.body.items || []);
          const item = items.find((it) => it && it.index === i) || items[i];
          if (!item) return card.showProblem({ title: 'No answer for this image', detail: 'The batch answer had fewer items than images sent.', status: 0 });
          if (item.result) return card.showResult(item.result);
          const problem = item.problem || item.error || {};
          return card.showProblem({ title: problem.title || `HTTP ${item.status}`, detail: problem.detail || '', status: problem.status || item.status });
        });
      }
    }
    const failed = cards.filter((c) => c.failed).length;
    status.textContent = `Scored ${files.length - failed} of ${files.length} image${files.length === 1 ? '' : 's'}${failed ? `; ${failed} failed` : ''}.`;
  }

  async function scoreOne(file, card) {
    const form = new FormData();
    form.append('image', file, file.name);
    const answer = await post('score', form);
    if (answer.ok) card.showResult(answer.body);
    else card.showProblem(answer.problem);
  }

  async function post(url, form) {
    try {
      return await readResponse(await fetch(url, { method: 'POST', body: form, headers: headers() }));
    } catch (error) {
      return { ok: false, problem: networkProblem(error) };
    }
  }

  // ---- one image's card ----
  function newCard(file) {
    const body = h('div', { class: 'card-body' }, h('p', { class: 'pending', text: 'Scoring…' }));
    const thumbnail = h('img', { class: 'thumb', alt: `Thumbnail of ${file.name}` });
    const url = URL.createObjectURL(file);
    thumbnail.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
    thumbnail.src = url;
    thumbnail.addEventListener('error', () => URL.revokeObjectURL(url), { once: true });
    thumbnail.addEventListener('error', () => thumbnail.replaceWith(h('div', { class: 'thumb thumb-missing', text: 'no preview' })), { once: true });
    const element = h('article', { class: 'card pending-card', 'data-file': file.name, 'aria-busy': 'true' },
      h('div', { class: 'card-side' }, thumbnail),
      h('div', { class: 'card-main' }, h('h3', { class: 'file-name', text: file.name }), body));
    const card = {
      element,
      failed: false,
      showResult(result) {
        element.classList.remove('pending-card');
        element.classList.add(result.isOutOfDistribution ? 'ood' : 'id');
        element.setAttribute('aria-busy', 'false');
        body.replaceChildren(...renderResult(result));
      },
      showProblem(problem) {
        card.failed = true;
        element.classList.remove('pending-card');
        element.classList.add('failed');
        element.setAttribute('aria-busy', 'false');
        body.replaceChildren(problemBox(problem));
      },
    };
    return card;
  }

  function renderResult(r) {
    const ood = r.isOutOfDistribution;
    const scores = [...(r.scores || [])];
    const thresholds = model && Array.isArray(model.labelThresholds) ? model.labelThresholds : null;
    const labelOrder = model && Array.isArray(model.labels) ? model.labels : scores.map((s) => s.label);
    const thresholdOf = (label) => {
      const i = labelOrder.indexOf(label);
      return thresholds && i >= 0 && typeof thresholds[i] === 'number' ? thresholds[i] : 0.5;
    };
    const present = new Set((r.labels || []).map((l) => l.label));
    const sorted = scores.sort((a, b) => b.probability - a.probability);
    const top = sorted[0];

    const verdict = h('p', { class: `verdict ${ood ? 'verdict-ood' : 'verdict-id'}` },
      h('span', { class: 'verdict-icon', 'aria-hidden': 'true', text: ood ? '⚠' : '✓' }),
      h('strong', { class: 'verdict-text', text: r.verdict || (ood ? 'out-of-distribution' : 'in-distribution') }),
      h('span', { class: 'verdict-why', text: ood
        ? ` — ${scoreName(r.score.name)} ${fixed(r.score.value)} is below the threshold ${fixed(r.score.threshold)}: the model has not seen images like this; its labels are not to be trusted.`
        : ` — ${scoreName(r.score.name)} ${fixed(r.score.value)} is at or above the threshold ${fixed(r.score.threshold)}.` }));

    const summary = h('p', { class: 'summary' },
      'Top label: ', h('strong', { class: 'top-label', text: top ? top.label : '—' }),
      top ? ` (${percent(top.probability)})` : '',
      '. Labels present: ',
      h('span', { class: 'present-labels', text: present.size ? (r.labels || []).map((l) => l.label).join(', ') : 'none' }),
      '.');

    const bars = h('ol', { class: 'bars', 'aria-label': 'Probability of every label, most probable first' },
      sorted.map((s) => {
        const t = thresholdOf(s.label);
        const isPresent = present.has(s.label);
        const fill = h('span', { class: 'bar-fill' });
        fill.style.width = `${Math.max(0, Math.min(1, s.probability)) * 100}%`;
        const mark = h('span', { class: 'bar-threshold', title: `threshold ${t}` });
        mark.style.left = `${t * 100}%`;
        return h('li', { class: `bar-row${isPresent ? ' present' : ''}`, 'data-label': s.label },
          h('span', { class: 'bar-label' }, isPresent ? h('span', { 'aria-hidden': 'true', text: '● ' }) : null, s.label),
          h('span', { class: 'bar', role: 'img', 'aria-label': `${s.label}: ${percent(s.probability)}, threshold ${percent(t)}, ${isPresent ? 'present' : 'absent'}` }, fill, mark),
          h('span', { class: 'bar-value', text: `${percent(s.probability)}${isPresent ? ' present' : ''}` }));
      }));

    return [verdict, summary, energyStrip(r), h('details', { class: 'all-labels', open: true },
      h('summary', { text: `Every label (${sorted.length}); the tick marks each label's threshold` }), bars)];
  }

  // ---- where the served score falls on the calibration (ID) distribution ----
  function quantiles() {
    const q = model && model.calibration && model.calibration.scoreQuantiles;
    if (!q) return null;
    const points = [['p1', 1], ['p5', 5], ['p50', 50], ['p95', 95], ['p99', 99]].map(([k, p]) => ({ p, e: q[k] }));
    return points.every((x) => typeof x.e === 'number') ? points : null;
  }

  function percentile(points, energy) {
    if (energy < points[0].e) return 'below the 1st percentile';
    if (energy > points[points.length - 1].e) return 'above the 99th percentile';
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1];
      const b = points[i];
      if (energy <= b.e) {
        const p = b.e === a.e ? a.p : a.p + ((energy - a.e) / (b.e - a.e)) * (b.p - a.p);
        return `at about the ${Math.round(p)}th percentile`;
      }
    }
    return '';
  }

  function energyStrip(r) {
    const points = quantiles();
    const energy = r.score.value;
    const threshold = r.score.threshold;
    if (!points) {
      return h('p', { class: 'energy-text', text: `${capitalised(scoreName(r.score.name))} ${fixed(energy)}; threshold ${fixed(threshold)}. (The model's manifest holds no calibration quantiles to compare with.)` });
    }
    const values = [...points.map((x) => x.e), energy, threshold];
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    const pad = (hi - lo) * 0.06 || 1;
    lo -= pad;
    hi += pad;
    const W = 600;
    const x = (e) => ((e - lo) / (hi - lo)) * W;
    const [p1, p5, p50, p95, p99] = points.map((p) => x(p.e));
    const description = `${capitalised(scoreName(r.score.name))} ${fixed(energy)}, ${percentile(points, energy)} of the calibration images (${model.calibration.split}, in-distribution); `
      + `their middle 90% lies between ${fixed(points[1].e)} and ${fixed(points[3].e)}, median ${fixed(points[2].e)}; threshold ${fixed(threshold)}.`;
    const figure = svg('svg', { class: 'strip', viewBox: `0 0 ${W} 64`, preserveAspectRatio: 'none', role: 'img', 'aria-label': description },
      svg('line', { class: 'strip-whisker', x1: p1, x2: p99, y1: 30, y2: 30 }),
      svg('line', { class: 'strip-whisker', x1: p1, x2: p1, y1: 22, y2: 38 }),
      svg('line', { class: 'strip-whisker', x1: p99, x2: p99, y1: 22, y2: 38 }),
      svg('rect', { class: 'strip-box', x: p5, y: 18, width: Math.max(1, p95 - p5), height: 24 }),
      svg('line', { class: 'strip-median', x1: p50, x2: p50, y1: 18, y2: 42 }),
      svg('line', { class: 'strip-threshold', x1: x(threshold), x2: x(threshold), y1: 4, y2: 60 }),
      svg('path', { class: `strip-energy ${r.isOutOfDistribution ? 'ood' : 'id'}`, d: `M ${x(energy)} 44 l -7 14 h 14 z` }),
      svg('line', { class: `strip-energy-line ${r.isOutOfDistribution ? 'ood' : 'id'}`, x1: x(energy), x2: x(energy), y1: 10, y2: 46 }));
    const legend = h('p', { class: 'strip-legend' },
      h('span', { class: 'key key-box', 'aria-hidden': 'true' }), ` calibration p5–p95, whiskers p1–p99 (${fixed(points[0].e)}–${fixed(points[4].e)}) `,
      h('span', { class: 'key key-threshold', 'aria-hidden': 'true' }), ' threshold ',
      h('span', { class: 'key key-energy', 'aria-hidden': 'true' }), ' this image');
    return h('figure', { class: 'energy' },
      h('figcaption', { class: 'energy-text', text: description }),
      h('div', { class: 'strip-scale' }, h('span', { text: fixed(lo, 1) }), h('span', { text: `${scoreName(r.score.name)} (higher: more in-distribution)` }), h('span', { text: fixed(hi, 1) })),
      figure, legend);
  }

  loadModel();
})();
