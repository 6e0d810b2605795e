// report.html: the case list. Reads the JSON block #case-data, filters and sorts the cases, renders one page
// of rows at a time and a case's findings, evidence rows and rule texts when it is clicked. The state lives in
// the address (#rule=DUP001&region=110101&score=10&ref=1&q=text&sort=amount&dir=desc&page=2&case=C...), so a
// view can be shared; ?rule=... is read too. #case=C...&sheet=1 is the case sheet: that case alone, open, with
// its rule texts, to print or hand on. Data goes on the page as text nodes only, never as markup.
(function () {
  'use strict';

  var PAGE = 100;
  var EVIDENCE_SHOWN = 50;
  var KEYS = ['rule', 'region', 'score', 'ref', 'q', 'sort', 'dir', 'page', 'case', 'sheet'];
  var SEVERITY = { low: 1, medium: 2, high: 3, critical: 4 };
  // the direction a column sorts in first
  var FIRST_DIR = { rank: 'asc', id: 'asc', region: 'asc', score: 'desc', amount: 'desc', payments: 'desc', findings: 'desc', severity: 'desc' };

  var D = JSON.parse(document.getElementById('case-data').textContent);
  var cases = D.cases;
  var findings = D.findings;
  var evidence = D.evidence;
  var regions = D.regions;
  var byId = new Map();
  cases.forEach(function (c, i) { byId.set(c.id, i); });

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    rule: $('f-rule'), region: $('f-region'), score: $('f-score'), ref: $('f-ref'), q: $('f-q'),
    reset: $('f-reset'), rows: $('case-rows'), shown: $('shown-count'), pageInfo: $('page-info'),
    where: $('p-where'), first: $('p-first'), prev: $('p-prev'), next: $('p-next'), last: $('p-last'),
    sheetBar: $('sheet-bar'), sheetBack: $('sheet-back')
  };
  var COLUMNS = document.querySelectorAll('#case-table thead th').length;

  var state = defaults();
  var opened = new Set();
  var filtered = [];
  var haystacks = null;
  var lastHash = null;

  function defaults() {
    return { rule: '', region: '', score: '', ref: '', q: '', sort: 'rank', dir: '', page: '1', 'case': '', sheet: '' };
  }

  // ---- small helpers ------------------------------------------------------------------------------------

  function el(tag, props, children) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) { return; }
        if (k === 'className') { e.className = v; } else if (k === 'text') { e.textContent = v; } else { e.setAttribute(k, v); }
      });
    }
    (children || []).forEach(function (ch) {
      if (ch === null || ch === undefined) { return; }
      e.appendChild(typeof ch === 'string' ? document.createTextNode(ch) : ch);
    });
    return e;
  }

  function money(fen) {
    var a = Math.abs(fen);
    var whole = Math.floor(a / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    var cents = String(a % 100);
    return (fen < 0 ? '-' : '') + whole + '.' + (cents.length < 2 ? '0' + cents : cents);
  }

  function plural(n, what) { return n + ' ' + what + (n === 1 ? '' : 's'); }

  function regionName(i) { return i >= 0 && i < regions.length ? regions[i] : ''; }

  // ---- the address --------------------------------------------------------------------------------------

  function readUrl() {
    var s = defaults();
    var parts = [];
    if (location.search.length > 1) { parts.push(location.search.slice(1)); }
    var h = location.hash.slice(1);
    if (h.indexOf('=') >= 0) { parts.push(h); }
    parts.forEach(function (p) {
      new URLSearchParams(p).forEach(function (v, k) {
        if (KEYS.indexOf(k) >= 0) { s[k] = v.trim(); }
      });
    });
    s.rule = s.rule.toUpperCase();
    if (!FIRST_DIR[s.sort]) { s.sort = 'rank'; }
    if (s.dir !== 'asc' && s.dir !== 'desc') { s.dir = FIRST_DIR[s.sort]; }
    return s;
  }

  function writeUrl() {
    var p = new URLSearchParams();
    KEYS.forEach(function (k) {
      var v = state[k];
      if (k === 'page' && v === '1') { return; }
      if (k === 'sort' && v === 'rank') { return; }
      if (k === 'dir' && v === FIRST_DIR[state.sort]) { return; }
      if (v !== '') { p.set(k, v); }
    });
    var h = p.toString();
    lastHash = h;
    var url = location.pathname + (h ? '#' + h : '');
    try {
      history.replaceState(null, '', url);
    } catch (err) {
      location.hash = h;
    }
  }

  function toForm() {
    ui.rule.value = state.rule;
    if (ui.rule.value !== state.rule) {
      ui.rule.appendChild(el('option', { value: state.rule, text: state.rule + ' (no case)' }));
      ui.rule.value = state.rule;
    }
    ui.region.value = state.region;
    if (ui.region.value !== state.region) {
      ui.region.appendChild(el('option', { value: state.region, text: state.region }));
      ui.region.value = state.region;
    }
    ui.score.value = state.score;
    ui.ref.value = state.ref;
    ui.q.value = state.q;
  }

  // ---- filtering and sorting ----------------------------------------------------------------------------

  function haystack(i) {
    if (!haystacks) { haystacks = new Array(cases.length); }
    var h = haystacks[i];
    if (h === undefined) {
      var c = cases[i];
      var parts = [c.id, c.ru.join(' '), c.sj.join(' ')];
      c.rg.forEach(function (r) { parts.push(regionName(r)); });
      c.fi.forEach(function (fi) {
        var f = findings[fi];
        parts.push(f.sj, f.ex);
        f.ev.forEach(function (e) {
          var r = evidence[e];
          parts.push(r[0], r[5], r[6], r[7], r[10] || '', r[11] || '');
        });
      });
      h = parts.join('\n').toLowerCase();
      haystacks[i] = h;
    }
    return h;
  }

  function sheet() { return state.sheet !== '' && state['case'] !== '' && byId.has(state['case']); }

  function filter() {
    if (sheet()) {
      filtered = [byId.get(state['case'])];
      return;
    }
    var regionIdx = null;
    if (state.region) {
      var at = regions.indexOf(state.region);
      regionIdx = at;
    }
    var min = state.score === '' ? null : parseFloat(state.score);
    if (min !== null && isNaN(min)) { min = null; }
    var words = state.q.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var out = [];
    for (var i = 0; i < cases.length; i++) {
      var c = cases[i];
      if (state.rule && c.ru.indexOf(state.rule) < 0) { continue; }
      if (regionIdx !== null && c.rg.indexOf(regionIdx) < 0) { continue; }
      if (min !== null && !(c.sc >= min)) { continue; }
      if (state.ref === '1' && !c.rf) { continue; }
      if (state.ref === '0' && c.rf) { continue; }
      if (state.ref === 'reviewed' && !c.rv) { continue; }
      if (words.length) {
        var h = haystack(i);
        var all = true;
        for (var w = 0; w < words.length; w++) {
          if (h.indexOf(words[w]) < 0) { all = false; break; }
        }
        if (!all) { continue; }
      }
      out.push(i);
    }
    var key = {
      rank: function (c) { return c.rk; },
      id: function (c) { return c.id; },
      score: function (c) { return c.sc; },
      amount: function (c) { return c.am; },
      payments: function (c) { return c.py; },
      findings: function (c) { return c.nf; },
      severity: function (c) { return SEVERITY[c.sv] || 0; },
      region: function (c) { return regionName(c.pl); }
    }[state.sort];
    var sign = state.dir === 'desc' ? -1 : 1;
    out.sort(function (a, b) {
      var ka = key(cases[a]);
      var kb = key(cases[b]);
      if (ka < kb) { return -sign; }
      if (ka > kb) { return sign; }
      return cases[a].rk - cases[b].rk;
    });
    filtered = out;
  }

  // ---- rendering ----------------------------------------------------------------------------------------

  function caseRow(i) {
    var c = cases[i];
    var subjects = c.sj.slice(0, 2).join('; ');
    var more = c.sj.length - 2 + c.sm;
    if (more > 0) { subjects += ' (+' + more + ' more)'; }
    var referral = c.rf ? el('span', { className: 'badge ref', text: 'referred' })
      : (c.rv ? el('span', { className: 'badge rev', text: 'reviewed' }) : '—');
    var tr = el('tr', {
      className: 'case-row' + (opened.has(c.id) ? ' open' : ''),
      'data-case': c.id,
      'data-rules': c.ru.join(' '),
      'data-index': String(i),
      tabindex: '0',
      'aria-expanded': opened.has(c.id) ? 'true' : 'false'
    }, [
      el('td', { className: 'num', text: String(c.rk) }),
      el('td', { className: 'id', text: c.id }),
      el('td', { className: 'num', text: c.sc.toFixed(2) }),
      el('td', null, [referral]),
      el('td', null, [el('span', { className: 'sev sev-' + c.sv, text: c.sv })]),
      el('td', { className: 'rules-cell', text: c.ru.join(' ') }),
      el('td', { className: 'num', text: money(c.am) }),
      el('td', { className: 'num', text: String(c.py) }),
      el('td', { className: 'num', text: String(c.nf) }),
      el('td', { className: 'mono', text: regionName(c.pl) || '—' }),
      el('td', { className: 'subjects', text: subjects })
    ]);
    return tr;
  }

  var EVIDENCE_HEAD = ['Txn', 'Date', 'Scheme', 'Period', 'Region', 'Payee id', 'Payee name', 'Account', 'Amount', 'Status', 'Officer', 'Household'];

  function evidenceTable(f, limit) {
    var rows = f.ev.slice(0, limit);
    var hasOfficer = rows.some(function (e) { return evidence[e][10] !== null; });
    var hasHousehold = rows.some(function (e) { return evidence[e][11] !== null; });
    var keep = function (k) { return (k !== 10 || hasOfficer) && (k !== 11 || hasHousehold); };
    var head = el('tr', null, EVIDENCE_HEAD.map(function (h, k) {
      return keep(k) ? el('th', { className: k === 8 ? 'num' : null, text: h }) : null;
    }));
    var body = rows.map(function (e) {
      var r = evidence[e];
      return el('tr', null, r.map(function (v, k) {
        if (!keep(k)) { return null; }
        if (k === 8) { return el('td', { className: 'num', text: money(v) }); }
        return el('td', { className: k === 0 || k === 5 || k === 7 ? 'mono' : null, text: v === null ? '' : String(v) });
      }));
    });
    return el('table', { className: 'evidence' }, [el('thead', null, [head]), el('tbody', null, body)]);
  }

  function findingBlock(fi) {
    var f = findings[fi];
    var holder = el('div', { className: 'finding', 'data-rule': f.ru });
    var head = el('h4', null, [
      el('span', { className: 'mono', text: f.ru + ' ' + (D.names[f.ru] || '') }), ' · ',
      el('span', { className: 'sev sev-' + f.sv, text: f.sv }), ' · ',
      f.sk + ' ', el('span', { className: 'mono', text: f.sj }), ' · ',
      money(f.am) + ' ' + D.currency + ' at risk'
    ]);
    holder.appendChild(head);
    holder.appendChild(el('p', { className: 'explanation', text: f.ex }));
    var table = evidenceTable(f, EVIDENCE_SHOWN);
    holder.appendChild(table);
    if (f.ev.length > EVIDENCE_SHOWN) {
      var btn = el('button', { type: 'button', text: 'Show all ' + f.ev.length + ' rows' });
      btn.addEventListener('click', function (ev) {
        ev.stopPropagation();
        holder.replaceChild(evidenceTable(f, f.ev.length), table);
        btn.remove();
      });
      holder.appendChild(el('p', { className: 'more' }, [
        'The first ' + EVIDENCE_SHOWN + ' of ' + f.ev.length + ' rows cited. ', btn
      ]));
    }
    if (f.nt > f.ev.length) {
      holder.appendChild(el('p', { className: 'more', text: plural(f.nt - f.ev.length, 'more txn id') + ' cited in findings.jsonl.' }));
    }
    return holder;
  }

  function ruleTexts(c) {
    var box = el('div', { className: 'rule-texts' }, [el('h4', { text: 'Rule texts' })]);
    c.ru.forEach(function (code) {
      var doc = document.getElementById('doc-' + code);
      box.appendChild(el('details', { 'data-rule': code, open: sheet() ? 'open' : null }, [
        el('summary', null, [el('span', { className: 'mono', text: code + ' ' + (D.names[code] || '') })]),
        el('pre', { text: doc ? doc.textContent : '(no text for this rule)' })
      ]));
    });
    return box;
  }

  function detailRow(i) {
    var c = cases[i];
    var facts = [
      'Case ' + c.id, 'rank ' + c.rk, 'score ' + c.sc.toFixed(2),
      c.rf ? 'referred' : (c.rv ? 'reviewed before, not referred again' : 'not referred'),
      c.sv, money(c.am) + ' ' + D.currency + ' at risk in ' + plural(c.py, 'payment'),
      plural(c.nf, 'finding')
    ];
    var where = c.rg.map(regionName).join(', ');
    var sheetLink = null;
    if (!sheet()) {
      sheetLink = el('button', { type: 'button', className: 'sheet-link', text: 'Case sheet' });
      sheetLink.addEventListener('click', function (ev) {
        ev.stopPropagation();
        state['case'] = c.id;
        state.sheet = '1';
        update(false);
        window.scrollTo(0, 0);
      });
    }
    var td = el('td', { colspan: String(COLUMNS) }, [
      el('p', { className: 'case-head' }, [el('b', { text: facts.join(' · ') }), ' ', sheetLink]),
      el('p', { className: 'case-head' }, [
        'Subjects: ', el('span', { className: 'mono', text: c.sj.join('; ') }),
        c.sm > 0 ? ' and ' + c.sm + ' more not listed' : null
      ]),
      where ? el('p', { className: 'case-head', text: 'Regions: ' + where }) : null
    ]);
    c.fi.forEach(function (fi) { td.appendChild(findingBlock(fi)); });
    td.appendChild(ruleTexts(c));
    return el('tr', { className: 'case-detail', 'data-case': c.id }, [td]);
  }

  function pages() { return Math.max(1, Math.ceil(filtered.length / PAGE)); }

  function render() {
    var on = sheet();
    document.body.classList.toggle('sheet', on);
    ui.sheetBar.hidden = !on;
    var n = pages();
    var page = Math.min(Math.max(1, parseInt(state.page, 10) || 1), n);
    state.page = String(page);
    var from = (page - 1) * PAGE;
    var frag = document.createDocumentFragment();
    filtered.slice(from, from + PAGE).forEach(function (i) {
      frag.appendChild(caseRow(i));
      if (opened.has(cases[i].id)) { frag.appendChild(detailRow(i)); }
    });
    ui.rows.textContent = '';
    ui.rows.appendChild(frag);
    if (!filtered.length) {
      ui.rows.appendChild(el('tr', null, [el('td', { colspan: String(COLUMNS), className: 'more', text: 'No case matches these filters.' })]));
    }
    ui.shown.textContent = String(filtered.length);
    ui.pageInfo.textContent = filtered.length > PAGE
      ? ' (rows ' + (from + 1) + '–' + Math.min(from + PAGE, filtered.length) + ')' : '';
    ui.where.textContent = 'Page ' + page + ' of ' + n;
    ui.first.disabled = ui.prev.disabled = page <= 1;
    ui.next.disabled = ui.last.disabled = page >= n;
    document.querySelectorAll('#case-table th button').forEach(function (b) {
      var on = b.getAttribute('data-sort') === state.sort;
      b.classList.toggle('sorted', on);
      b.classList.toggle('asc', on && state.dir === 'asc');
    });
  }

  function update(resetPage) {
    if (resetPage) { state.page = '1'; }
    if (sheet()) { opened.add(state['case']); }
    filter();
    render();
    writeUrl();
  }

  // the case in the address: shown on its page, open, in view
  function focusCase() {
    var id = state['case'];
    if (!id || !byId.has(id)) { return; }
    var at = filtered.indexOf(byId.get(id));
    if (at < 0) {
      // filtered out: show every case
      var keep = { sort: state.sort, dir: state.dir, 'case': id };
      state = defaults();
      Object.keys(keep).forEach(function (k) { state[k] = keep[k]; });
      toForm();
      filter();
      at = filtered.indexOf(byId.get(id));
    }
    state.page = String(Math.floor(at / PAGE) + 1);
    opened.add(id);
    render();
    writeUrl();
    if (sheet()) { return; }
    var row = ui.rows.querySelector('tr.case-row[data-case="' + id.replace(/[^A-Za-z0-9_-]/g, '') + '"]');
    if (row) {
      row.classList.add('focus');
      row.scrollIntoView({ block: 'start' });
    }
  }

  function load() {
    state = readUrl();
    toForm();
    filter();
    render();
    focusCase();
  }

  // ---- events -------------------------------------------------------------------------------------------

  function toggle(row) {
    var id = row.getAttribute('data-case');
    var i = parseInt(row.getAttribute('data-index'), 10);
    if (opened.has(id)) {
      opened.delete(id);
      var next = row.nextElementSibling;
      if (next && next.classList.contains('case-detail')) { next.remove(); }
      row.classList.remove('open');
      row.setAttribute('aria-expanded', 'false');
      if (state['case'] === id) { state['case'] = ''; }
    } else {
      opened.add(id);
      row.after(detailRow(i));
      row.classList.add('open');
      row.setAttribute('aria-expanded', 'true');
      state['case'] = id;
    }
    writeUrl();
  }

  ui.rows.addEventListener('click', function (ev) {
    var row = ev.target.closest('tr.case-row');
    if (row) { toggle(row); }
  });
  ui.rows.addEventListener('keydown', function (ev) {
    var row = ev.target.closest('tr.case-row');
    if (row && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); toggle(row); }
  });

  var timer = null;
  function later(fn) {
    clearTimeout(timer);
    timer = setTimeout(fn, 180);
  }
  function fromForm() {
    state.rule = ui.rule.value;
    state.region = ui.region.value;
    state.score = ui.score.value.trim();
    state.ref = ui.ref.value;
    state.q = ui.q.value;
    update(true);
  }
  [ui.rule, ui.region, ui.ref].forEach(function (s) { s.addEventListener('change', fromForm); });
  [ui.score, ui.q].forEach(function (s) { s.addEventListener('input', function () { later(fromForm); }); });
  ui.sheetBack.addEventListener('click', function () {
    state.sheet = '';
    update(false);
    focusCase();
  });
  ui.reset.addEventListener('click', function () {
    state = defaults();
    state.dir = FIRST_DIR.rank;
    opened.clear();
    toForm();
    update(true);
  });
  document.querySelectorAll('#case-table th button').forEach(function (b) {
    b.addEventListener('click', function () {
      var key = b.getAttribute('data-sort');
      if (state.sort === key) {
        state.dir = state.dir === 'asc' ? 'desc' : 'asc';
      } else {
        state.sort = key;
        state.dir = FIRST_DIR[key];
      }
      update(true);
    });
  });
  function go(page) {
    state.page = String(page);
    render();
    writeUrl();
    document.getElementById('cases').scrollIntoView({ block: 'start' });
  }
  ui.first.addEventListener('click', function () { go(1); });
  ui.prev.addEventListener('click', function () { go(parseInt(state.page, 10) - 1); });
  ui.next.addEventListener('click', function () { go(parseInt(state.page, 10) + 1); });
  ui.last.addEventListener('click', function () { go(pages()); });
  // the menu scrolls without touching the address (which holds the filter)
  document.querySelectorAll('header.top nav a').forEach(function (a) {
    a.addEventListener('click', function (ev) {
      var target = document.getElementById(a.getAttribute('href').slice(1));
      if (target) { ev.preventDefault(); target.scrollIntoView({ block: 'start' }); }
    });
  });
  window.addEventListener('hashchange', function () {
    var h = location.hash.slice(1);
    if (h === lastHash || h.indexOf('=') < 0) { return; }
    opened.clear();
    load();
  });

  load();
}());
