// dashclaim review page: the queue sorted by priority, a claim with its report, its videos (every
// channel side by side) at the evidence times, what other claims show the same footage or place
// (and those videos side by side), its audit trail, and the review form. No key lives here: the browser sends the
// HttpOnly cookie the login form set. Every text from the server is put in with textContent,
// never as HTML.
'use strict';

const app = document.getElementById('app');

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'className') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(path, options) {
  const res = await fetch(path, Object.assign({credentials: 'same-origin'}, options || {}));
  if (res.status === 401) { location.href = '/login'; throw new Error('signed out'); }
  const body = res.headers.get('Content-Type')?.includes('json') ? await res.json() : null;
  if (!res.ok) throw new Error((body && body.error) || `HTTP ${res.status}`);
  return body;
}

function badge(priority) {
  return priority ? el('span', {className: 'badge ' + priority}, priority.replace('_PRIORITY', '')) : '—';
}

function age(iso) {
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 90) return Math.max(0, Math.round(s)) + ' s';
  if (s < 5400) return Math.round(s / 60) + ' min';
  if (s < 129600) return Math.round(s / 3600) + ' h';
  return Math.round(s / 86400) + ' d';
}

// ---- queue -----------------------------------------------------------------------------------

async function showQueue(params) {
  const status = params.get('status') ?? 'done';
  const priority = params.get('priority') || '';
  const statusSel = el('select', {id: 'f-status'},
    ['', 'queued', 'running', 'done', 'failed', 'open'].map(s =>
      el('option', {value: s, selected: s === status}, s || 'any')));
  const prioSel = el('select', {id: 'f-priority'},
    ['', 'URGENT', 'STANDARD', 'LOW_PRIORITY'].map(p =>
      el('option', {value: p, selected: p === priority}, p || 'any')));
  const apply = () => { location.hash = `#/?status=${statusSel.value}&priority=${prioSel.value}`; };
  statusSel.addEventListener('change', apply);
  prioSel.addEventListener('change', apply);
  const tbody = el('tbody');
  const more = el('button', {type: 'button', id: 'more', hidden: true}, 'More');
  app.replaceChildren(
    el('h1', {}, 'Claims to review'),
    el('div', {className: 'filters'},
      el('label', {}, 'Status', statusSel), el('label', {}, 'Priority', prioSel)),
    el('table', {id: 'queue'},
      el('thead', {}, el('tr', {}, ['Priority', 'Status', 'Severity', 'Decision', 'Age', 'Claim', 'Policy']
        .map(h => el('th', {}, h)))),
      tbody),
    more);
  let cursor = '';
  async function page() {
    const q = new URLSearchParams({limit: '50'});
    if (status) q.set('status', status);
    if (priority) q.set('priority', priority);
    if (cursor) q.set('cursor', cursor);
    const data = await api('/v1/claims?' + q);
    for (const c of data.claims) {
      tbody.append(el('tr', {className: 'claim-row', 'data-id': c.id,
                             onclick: () => { location.hash = '#/claim/' + c.id; }},
        el('td', {}, badge(c.review_priority)),
        el('td', {}, c.status),
        el('td', {}, c.severity || '—'),
        el('td', {}, c.last_decision || '—'),
        el('td', {}, age(c.created_at)),
        el('td', {className: 'mono'}, el('a', {href: '#/claim/' + c.id}, c.id)),
        el('td', {}, c.metadata.policy_id || '')));
    }
    if (!data.claims.length && !cursor) tbody.append(el('tr', {}, el('td', {colspan: 7}, 'Nothing here.')));
    cursor = data.next_cursor || '';
    more.hidden = !cursor;
  }
  more.addEventListener('click', page);
  await page();
}

// ---- one claim -------------------------------------------------------------------------------

function facts(c) {
  const a = c.assessment || {};
  const rows = [
    ['Status', c.status + (c.error ? ` (${c.error.class}: ${c.error.message})` : '')],
    ['Severity', c.severity || '—'],
    ['Review priority', c.review_priority || '—'],
    ['Recommended', a.recommended_action || '—'],
    ['Fault ratio (ego)', a.fault && a.fault.ratio !== null && a.fault.ratio !== undefined ? a.fault.ratio + ' %' : '—'],
    ['Fraud score', a.fraud ? a.fraud.score.toFixed(2) : '—'],
    ['Engine', a.engine ? (a.engine.model || a.engine.name) : '—'],
    ['Last decision', c.last_decision || '—'],
    ['Policy', c.metadata.policy_id || '—'],
    ['Plate', c.metadata.plate || '—'],
    ['Incident (claimed)', [c.metadata.incident_time, c.metadata.incident_place].filter(Boolean).join(' · ') || '—'],
    ['Video', `${c.video.bytes} bytes, sha256 ${c.video.sha256.slice(0, 16)}…`],
  ];
  return el('dl', {className: 'facts'}, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function reviewForm(c, onDone) {
  const msg = el('div', {id: 'review-message'});
  // A failed claim has no assessment to approve (the server refuses it too): reject it or ask
  // for more information, e.g. a readable copy of the video.
  const decisions = c.status === 'failed' ? ['REJECT', 'REQUEST_MORE_INFO']
                                          : ['APPROVE', 'REJECT', 'REQUEST_MORE_INFO'];
  const form = el('form', {className: 'review', id: 'review'},
    el('p', {className: 'state'}, `This claim is ${c.status}` +
      (c.error ? ` (${c.error.class}): it cannot be approved.` : '.')),
    el('label', {for: 'decision'}, 'Decision'),
    el('select', {id: 'decision', name: 'decision', required: true},
      decisions.map(d => el('option', {value: d}, d))),
    el('label', {for: 'severity'}, 'Severity override'),
    el('select', {id: 'severity', name: 'severity'},
      ['', 'NONE', 'LOW', 'MEDIUM', 'HIGH'].map(s => el('option', {value: s}, s || 'keep the assessment'))),
    el('label', {for: 'fault_ratio'}, 'Fault ratio override (0–100, empty = keep)'),
    el('input', {id: 'fault_ratio', name: 'fault_ratio', type: 'number', min: 0, max: 100, step: 1}),
    el('label', {for: 'fraud_flag'}, 'Fraud flag override'),
    el('select', {id: 'fraud_flag', name: 'fraud_flag'},
      el('option', {value: ''}, 'keep the assessment'), el('option', {value: 'true'}, 'fraud suspected'),
      el('option', {value: 'false'}, 'no fraud')),
    el('label', {for: 'reasoning'}, 'Reasoning'),
    el('textarea', {id: 'reasoning', name: 'reasoning', maxlength: 2000}),
    el('button', {type: 'submit', id: 'submit-review'}, 'Record decision'),
    msg);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = {decision: f.get('decision'), reasoning: f.get('reasoning') || ''};
    if (f.get('severity')) body.severity = f.get('severity');
    if (f.get('fault_ratio') !== '') body.fault_ratio = Number(f.get('fault_ratio'));
    if (f.get('fraud_flag')) body.fraud_flag = f.get('fraud_flag') === 'true';
    try {
      const r = await api(`/v1/claims/${c.id}/review`, {
        method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
      msg.replaceChildren(el('div', {className: 'message ok'}, `Recorded: ${r.last_decision} by ${r.reviewer}.`));
      onDone();
    } catch (e) {
      msg.replaceChildren(el('div', {className: 'message error'}, e.message));
    }
  });
  return form;
}

async function loadAudit(id, table) {
  const data = await api(`/v1/claims/${id}/audit`);
  const tb = el('tbody');
  for (const r of data.rows) {
    const fmt = v => v === null ? '' : (typeof v === 'string' ? v : JSON.stringify(v));
    tb.append(el('tr', {'data-action': r.action},
      el('td', {}, r.seq), el('td', {}, r.at.replace('T', ' ').replace('Z', '')), el('td', {}, r.actor),
      el('td', {}, r.action), el('td', {className: 'mono'}, fmt(r.before)), el('td', {className: 'mono'}, fmt(r.after)),
      el('td', {}, r.reason || '')));
  }
  table.replaceChildren(
    el('thead', {}, el('tr', {}, ['#', 'When (UTC)', 'Who', 'Action', 'Before', 'After', 'Reason'].map(h => el('th', {}, h)))),
    tb);
}

// The claim's videos: what the uploader sent (role, segment, file name), as text.
function videoList(c) {
  const rows = (c.videos || []).map(v => el('tr', {'data-role': v.role},
    el('td', {}, v.position), el('td', {}, v.role), el('td', {}, v.segment ?? '—'),
    el('td', {}, v.file_name || '—'), el('td', {}, `${v.bytes} bytes`),
    el('td', {className: 'mono'}, v.sha256.slice(0, 16) + '…')));
  return el('table', {className: 'videos', id: 'videos'},
    el('thead', {}, el('tr', {}, ['#', 'Camera', 'Segment', 'File', 'Size', 'SHA-256'].map(h => el('th', {}, h)))),
    el('tbody', {}, rows));
}

// One player per video, side by side. A time on the claim's timeline (evidence, windows) is
// shown in every channel at once: each seeks to that time less its own offset (the record's
// videos[i].offset_sec), and a video that does not cover the time (another segment) is dimmed.
function channels(c) {
  const rec = (c.assessment && c.assessment.videos) || [];
  const list = c.videos && c.videos.length ? c.videos : [{position: 0, role: 'unknown'}];
  const players = list.map(v => {
    const r = rec[v.position] || {};
    const player = el('video', {id: v.position === 0 ? 'video' : `video-${v.position}`, controls: true,
                                preload: 'metadata', 'data-role': v.role,
                                src: v.position === 0 ? `/v1/claims/${c.id}/video`
                                                      : `/v1/claims/${c.id}/videos/${v.position}`});
    return {player, offset: r.offset_sec || 0, duration: r.duration_sec || 0,
            box: el('figure', {className: 'channel'}, player,
                    el('figcaption', {}, v.role + (v.segment !== null && v.segment !== undefined ? ` · segment ${v.segment}` : '')))};
  });
  const seek = (t, play) => {
    for (const p of players) {
      const local = t - p.offset;
      const inside = local >= 0 && (!p.duration || local <= p.duration);
      p.box.classList.toggle('inactive', !inside);
      if (!inside) continue;
      p.player.currentTime = local;
      if (play && p === players[0]) p.player.play().catch(() => {});
    }
  };
  return {seek, node: el('div', {className: players.length > 1 ? 'channels several' : 'channels'},
                         players.map(p => p.box))};
}

// ---- footage seen in other claims ---------------------------------------------------------------

function videoSrc(id, position) {
  const c = encodeURIComponent(id);
  return position === 0 ? `/v1/claims/${c}/video` : `/v1/claims/${c}/videos/${position}`;
}

const claimId = s => typeof s === 'string' && /^[a-z0-9_]{1,127}$/.test(s);
const seconds = v => (Number.isFinite(v) && v >= 0 ? v : 0);
const videoIndex = v => (Number.isInteger(v) && v >= 0 && v < 32 ? v : 0);

// What the footage index found before the decision: the same file or the same footage in
// another claim (each row opens both videos side by side at the matching seconds), and claims
// whose dashcam put their incident at the same place and day.
function footageCard(c) {
  const f = (c.assessment || {}).footage;
  if (!f) return null;
  const items = [];
  for (const m of f.matches || []) {
    if (!claimId(m.claim_id)) continue;
    const v = videoIndex(m.video), ov = videoIndex(m.other_video);
    const q = new URLSearchParams({v, t: seconds(m.video_sec).toFixed(1), other: m.claim_id, ov,
                                   ot: seconds(m.other_sec).toFixed(1), m: m.mirrored ? 1 : 0});
    const what = m.same_file
      ? `Video ${v + 1} is the same file as video ${ov + 1} of `
      : `${Math.round(seconds(m.seconds))} s of video ${v + 1} from ${seconds(m.video_sec).toFixed(1)} s ` +
        `show video ${ov + 1} of `;
    const tail = m.same_file ? '' :
      ` from ${seconds(m.other_sec).toFixed(1)} s (distance ${seconds(m.distance).toFixed(1)}` +
      `${m.mirrored ? ', mirrored' : ''})`;
    items.push(el('li', {className: 'footage-match', 'data-claim': m.claim_id},
      what, el('a', {href: '#/claim/' + m.claim_id, className: 'mono'}, m.claim_id), tail, ' · ',
      el('a', {href: `#/compare/${c.id}?${q}`, className: 'compare'}, 'compare side by side')));
  }
  for (const n of f.near || []) {
    if (!claimId(n.claim_id)) continue;
    items.push(el('li', {className: 'footage-near', 'data-claim': n.claim_id},
      `Same place: the dashcam of `, el('a', {href: '#/claim/' + n.claim_id, className: 'mono'}, n.claim_id),
      ` puts its incident ${Math.round(seconds(n.distance_m))} m away, ${seconds(n.hours_apart).toFixed(1)} h apart`));
  }
  const body = !f.checked
    ? el('p', {className: 'hint'}, 'Not checked: ' + (f.note || 'the claim was assessed without a footage index.'))
    : items.length ? el('ul', {className: 'evidence'}, items)
                   : el('p', {}, 'Nothing in other claims: no same file, no same footage, no claim at the same place and day.');
  return el('section', {className: 'card', id: 'footage'}, el('h2', {}, 'Seen in other claims'), body);
}

// Two claims' videos side by side at the seconds where their footage matches: play both, step
// both, and a mirrored copy shown flipped back so the two read the same way.
async function showCompare(id, params) {
  const other = params.get('other');
  if (!claimId(other)) throw new Error('no other claim to compare with');
  const v = videoIndex(Number(params.get('v'))), ov = videoIndex(Number(params.get('ov')));
  const t = seconds(Number(params.get('t'))), ot = seconds(Number(params.get('ot')));
  const [a, b] = await Promise.all([api('/v1/claims/' + encodeURIComponent(id)),
                                    api('/v1/claims/' + encodeURIComponent(other))]);
  const side = (c, pos, at, domId) => {
    const player = el('video', {id: domId, controls: true, preload: 'metadata', muted: true,
                                src: videoSrc(c.id, pos)});
    player.addEventListener('loadedmetadata', () => { player.currentTime = at; }, {once: true});
    return {player, at, box: el('figure', {className: 'channel'}, player,
      el('figcaption', {}, el('a', {href: '#/claim/' + c.id, className: 'mono'}, c.id),
         ` · video ${pos + 1} from ${at.toFixed(1)} s · ${c.status}` +
         (c.severity ? ` · ${c.severity}` : '')))};
  };
  const mine = side(a, v, t, 'compare-this'), theirs = side(b, ov, ot, 'compare-other');
  const flip = el('input', {type: 'checkbox', id: 'flip', checked: params.get('m') === '1'});
  const applyFlip = () => { theirs.player.style.transform = flip.checked ? 'scaleX(-1)' : ''; };
  flip.addEventListener('change', applyFlip);
  applyFlip();
  const both = fn => [mine, theirs].forEach(fn);
  app.replaceChildren(
    el('p', {}, el('a', {href: '#/claim/' + a.id}, '← ' + a.id)),
    el('h1', {}, 'Footage compared'),
    el('section', {className: 'card'},
      el('div', {className: 'channels several'}, mine.box, theirs.box),
      el('div', {className: 'filters'},
        el('button', {type: 'button', id: 'play-both', onclick: () => both(p => {
          p.player.currentTime = p.at; p.player.play().catch(() => {}); })}, 'Play both from the match'),
        el('button', {type: 'button', id: 'pause-both', onclick: () => both(p => p.player.pause())}, 'Pause both'),
        el('label', {}, el('span', {}, 'Show the other flipped'), flip))));
}

async function showClaim(id) {
  const c = await api('/v1/claims/' + encodeURIComponent(id));
  const a = c.assessment || {};
  const ch = channels(c);
  const evidence = el('ul', {className: 'evidence'},
    (a.evidence || []).map(e => el('li', {},
      el('button', {type: 'button', className: 'seek', 'data-t': e.t_sec,
                    onclick: () => ch.seek(e.t_sec, true)},
        `${e.t_sec.toFixed(1)} s`), ' ', e.description || '')));
  const windows = (a.windows || []).map(w => el('li', {},
    el('button', {type: 'button', className: 'seek', onclick: () => ch.seek(w.peak_sec, false)},
      `${w.start_sec.toFixed(1)}–${w.end_sec.toFixed(1)} s`), ` danger ${w.danger.toFixed(2)}`));
  const audit = el('table', {className: 'audit', id: 'audit'});
  const finished = c.status === 'done' || c.status === 'failed';
  app.replaceChildren(
    el('p', {}, el('a', {href: '#/'}, '← queue')),
    el('h1', {className: 'mono'}, c.id),
    el('div', {className: 'grid'},
      el('div', {},
        el('section', {className: 'card'}, el('h2', {}, (c.videos || []).length > 1 ? 'Videos' : 'Video'), ch.node,
          (c.videos || []).length > 1 ? videoList(c) : null,
          el('h2', {}, 'Evidence'), evidence.childElementCount ? evidence : el('p', {}, 'No evidence frames.'),
          windows.length ? [el('h2', {}, 'Incident windows'), el('ul', {className: 'evidence'}, windows)] : null),
        el('section', {className: 'card'}, el('h2', {}, 'Report'),
          finished ? el('iframe', {className: 'report', id: 'report', sandbox: '', src: `/v1/claims/${c.id}/report`, title: 'claim report'})
                   : el('p', {}, 'Not assessed yet.'))),
      el('div', {},
        el('section', {className: 'card'}, el('h2', {}, 'Assessment'), facts(c),
          a.reasoning ? el('p', {}, a.reasoning) : null),
        footageCard(c),
        el('section', {className: 'card'}, el('h2', {}, 'Review'),
          finished ? reviewForm(c, () => loadAudit(c.id, audit)) : el('p', {}, 'The claim is ' + c.status + '.')))),
    el('section', {className: 'card'}, el('h2', {}, 'Audit trail'), audit));
  await loadAudit(c.id, audit);
}

// ---- routing ---------------------------------------------------------------------------------

async function route() {
  const h = location.hash || '#/';
  try {
    const m = h.match(/^#\/claim\/([a-z0-9_]+)$/);
    const cmp = h.match(/^#\/compare\/([a-z0-9_]+)\?(.*)$/);
    if (m) await showClaim(m[1]);
    else if (cmp) await showCompare(cmp[1], new URLSearchParams(cmp[2]));
    else await showQueue(new URLSearchParams(h.split('?')[1] || ''));
    document.body.dataset.ready = h;
  } catch (e) {
    app.replaceChildren(el('div', {className: 'message error'}, e.message));
    document.body.dataset.ready = 'error';
  }
}

window.addEventListener('hashchange', route);
route();
