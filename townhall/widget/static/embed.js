/*! Townhall reader widget: hand-written, no dependencies, no third-party requests.
Options on the script tag: data-townhall-site, -url, -target (selector), -sso-token, -sort (newest|oldest|best),
-theme (light|dark|auto, default light), -lang (else the page's <html lang>; strings from embed/i18n/<lang>.json). [data-townhall-count-url] elements get the comment count as text.
JS: Townhall.mount(element, {url, sort, theme, sso}), Townhall.counts().
Hooks: section.townhall[data-theme] h2.th-count select.th-sort .th-status(polite) .th-alert[role=alert] .th-closed
button.th-more button.th-new ("N new comments — show", live updates while the reader types);
.th-compose>form.th-form: textarea[name=body] input[name=author_name|author_email|website(honeypot)] p.th-notify>input[type=checkbox]
button[type=submit] p.th-error[data-field]; form.th-form.th-reply-form|.th-edit-form button.th-cancel;
li.th-item>article.th-comment[data-id][data-depth](.th-featured .th-own .th-is-held .th-deleted .th-new)+ol.th-replies;
in it .th-author .th-badge .th-pick time.th-time .th-edited .th-body .th-held .th-msg, button.th-up|th-down
([aria-pressed] .th-n) .th-reply .th-edit .th-delete .th-report, .th-slot>form (reply, edit, report);
form.th-report-form select[name=reason] input[name=note]. Live updates: EventSource on api/v1/threads/live.
localStorage: townhall:reader, townhall:author, townhall:own:<site>, townhall:votes:<site>. */
(() => {
  'use strict';
  const D = document, W = window, script = D.currentScript || D.querySelector('script[data-townhall-site]');
  if (!script || W.Townhall) return;
  const opt = script.dataset, SITE = opt.townhallSite, BASE = new URL('.', script.src), API = BASE + 'api/v1/';
  const SORTS = {newest: 1, oldest: 1, best: 1};
  const mem = {}, NOTICE_MS = 6000;
  let seq = 0;

  // Translations: the page's language (data-townhall-lang, else <html lang>); English is built in, any
  // other language's strings come from the server, that language only. t('… {name} …', {name}) fills in
  // placeholders as text; tn() picks the plural form with Intl.PluralRules. Dates and numbers use Intl.
  const want = (opt.townhallLang || D.documentElement.lang || 'en').toLowerCase();
  let LANG = 'en', L = {}, NF, PR;
  const ready = (/^en\b/.test(want) || !/^[a-z]{2,3}\b/.test(want) ? Promise.resolve({})
    : fetch(BASE + 'embed/i18n/' + want.slice(0, 3).replace(/\W/g, '') + '.json', {credentials: 'omit'}).then(r => r.json()))
    .then(d => { LANG = d.lang || LANG; L = d.messages || {}; }, () => 0)
    .then(() => { NF = new Intl.NumberFormat(LANG); PR = new Intl.PluralRules(LANG); });
  const fill = (s, v = {}) => s.replace(/\{(\w+)\}/g, (m, k) => (k in v ? v[k] : m));
  const t = (s, v) => fill(L[s] || s, v);
  const tn = (one, many, n) => fill((L[one] || {})[PR.select(n)] || (L[one] || {}).other || (n === 1 ? one : many),
    {n: NF.format(n)});

  // localStorage, or memory for this page where it is blocked.
  function raw(k, v) {
    try {
      if (v === undefined) return localStorage.getItem(k) || mem[k];
      localStorage.setItem(k, v);
    } catch (e) { if (v === undefined) return mem[k]; }
    return (mem[k] = v);
  }
  const load = k => { try { return JSON.parse(raw(k)) || {}; } catch (e) { return {}; } };
  const save = (k, v) => raw(k, JSON.stringify(v));
  const cap = s => s[0].toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
  const focus = el => el && el.focus();

  // h('p.th-msg', {hidden: true}, 'text', node): text always becomes text nodes, never HTML.
  function h(sel, props, ...kids) {
    const [tag, cls] = sel.split('.'), e = D.createElement(tag);
    if (cls) e.className = cls;
    for (const k in props) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    e.append(...kids.flat().filter(c => c != null && c !== false));
    return e;
  }
  const button = (cls, text, onclick, more) => h('button.' + cls, {type: 'button', text, onclick, ...more});

  // A labelled control, with its error line (p.th-error[data-field]) last and an optional hint.
  function field(name, label, input, hint) {
    const id = input.id = 'th' + ++seq;
    input.name = name;
    const err = h('p.th-error', {'data-field': name, id: id + 'e', hidden: true});
    input.setAttribute('aria-describedby', err.id + (hint ? ' ' + (hint.id = id + 'h') : ''));
    return h('div.th-field', {}, h('label', {for: id}, label), input, hint, err);
  }

  function reader() {
    let t = raw('townhall:reader');
    if (!t || t.length < 16) {
      const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      t = raw('townhall:reader', Array.from(crypto.getRandomValues(new Uint8Array(32)), b => abc[b & 63]).join(''));
    }
    return t;
  }

  async function call(method, path, body, headers = {}) {
    if (method !== 'GET') headers['X-Townhall-Reader'] = reader();
    headers['Accept-Language'] = LANG; // the server's messages in the page's language
    if (body) headers['Content-Type'] = 'application/json';
    let res, data = {};
    try {
      res = await fetch(API + path, {method, headers, body: body && JSON.stringify(body), credentials: 'omit'});
      if (res.status === 304) return null;
      if (res.status === 204) return data;
      data = await res.json();
    } catch (e) { /* offline, or not JSON */ }
    if (res && res.ok) return Object.assign(data, {etag: res.headers.get('ETag')});
    const err = data.error || {};
    throw Object.assign(new Error(cap(err.message || (res ? t('Something went wrong ({status}). Please try again.', {status: res.status})
      : t('Could not reach the comment server. Please try again.')))), {status: res && res.status, code: err.code, fields: err.fields || {}});
  }

  let rtf;
  const UNITS = {year: 31536e3, month: 2592e3, week: 604800, day: 86400, hour: 3600, minute: 60};
  function ago(date) {
    rtf = rtf || new Intl.RelativeTimeFormat(LANG, {numeric: 'auto'});
    const s = (date - Date.now()) / 1000;
    for (const u in UNITS) if (Math.abs(s) >= UNITS[u]) return rtf.format(Math.round(s / UNITS[u]), u);
    return t('just now');
  }

  // --- one story's thread ----------------------------------------------------------------------
  function mount(target, o = {}) {
    const S = {url: o.url, sso: o.sso || null, sort: SORTS[o.sort] ? o.sort : 'newest', total: 0, recs: new Map(),
      held: [], cfg: {max_depth: 4, max_chars: 5000}};
    const OWN = 'townhall:own:' + SITE, VOTES = 'townhall:votes:' + SITE, own = load(OWN);
    const saveOwn = () => save(OWN, own);
    for (const id in own) if (Date.now() - Date.parse(own[id].created) > 5184e6) delete own[id]; // 60 days

    const title = h('h2.th-count', {id: 'th' + ++seq, tabindex: -1, text: t('Comments')});
    const sort = h('select.th-sort', {onchange() { S.sort = sort.value; refresh(); }},
      Object.entries({newest: t('Newest'), oldest: t('Oldest'), best: t('Best')}).map(([v, text]) => h('option', {value: v, text})));
    sort.value = S.sort;
    const status = h('div.th-status', {role: 'status', 'aria-live': 'polite'});
    const alertBox = h('div.th-alert', {role: 'alert'});
    const compose = h('div.th-compose');
    const list = h('ol.th-list', {'aria-labelledby': title.id}, h('li.th-loading', {text: t('Loading comments…')}));
    const more = button('th-more', t('Load more comments'), loadMore, {hidden: true});
    const news = button('th-new', '', () => focus((apply()[0] || {}).el || title), {hidden: true});
    const root = h('section.townhall', {'aria-labelledby': title.id,
      'data-theme': /^(dark|auto)$/.test(o.theme) ? o.theme : 'light'},
    h('div.th-head', {}, title, h('label.th-sortbox', {}, t('Sort by') + ' ', sort)), status, alertBox, compose, news, list, more);
    target.replaceChildren(root);

    const say = text => {
      status.textContent = '';
      setTimeout(() => { status.textContent = text; }, 60);
    };
    function setTotal(n) {
      S.total = Math.max(0, n);
      title.textContent = S.total ? tn('{n} comment', '{n} comments', S.total) : t('Comments');
    }
    // ms left to edit or delete: the server's editable_until, on the server's clock as seen when posting (skew).
    const editLeft = c => {
      const m = own[c.id];
      return m && m.until && !m.over && !S.closed && c.status !== 'deleted' ? Date.parse(m.until) - (m.skew || 0) - Date.now() : 0;
    };

    // rec = {c: comment, li, el: article, body, bar: actions, msg, slot: inline panel, ol: replies}
    function draw(rec) {
      const c = rec.c, a = c.author || {}, mine = own[c.id], st = c.status, made = new Date(c.created_at);
      const el = h(`article.th-comment${c.featured ? ' th-featured' : ''}${mine ? ' th-own' : ''}${
        st === 'held' ? ' th-is-held' : ''}${st === 'deleted' ? ' th-deleted' : ''}`,
      {'data-id': c.id, 'data-depth': c.depth, tabindex: -1});
      rec.msg = h('p.th-msg', {hidden: true});
      rec.slot = h('div.th-slot');
      if (st === 'deleted') el.append(h('p.th-body th-gone', {text: t('This comment was deleted.')}));
      else {
        const name = a.name || t('Anonymous');
        rec.body = h('div.th-body');
        rec.body.innerHTML = c.html; // sanitised by the server: the only HTML this widget renders
        el.append(h('div.th-meta', {},
          h('span.th-avatar', {'aria-hidden': 'true', text: [...name][0].toUpperCase()}),
          h('span.th-author', {text: name}),
          a.badge && h('span.th-badge', {text: a.badge}),
          c.featured && h('span.th-pick', {text: t('Staff pick')}),
          h('time.th-time', {datetime: c.created_at, title: made.toLocaleString(LANG), text: ago(made)}),
          c.edited_at && h('span.th-edited', {title: t('Edited {date}', {date: new Date(c.edited_at).toLocaleString(LANG)}), text: t('edited')})),
        rec.body);
        if (st === 'held' || st === 'rejected') {
          el.append(h('p.th-held', {}, h('strong', {text: st === 'held' ? t('Awaiting moderation') : t('Not published')}), ' ',
            (mine && mine.msg) || (st === 'held' ? t('Only you can see it until a moderator approves it.')
              : t('A moderator did not approve it.'))));
        }
      }
      el.append(rec.bar = actions(rec), rec.msg, rec.slot);
      if (rec.el) rec.el.replaceWith(el);
      rec.at = Date.now(); // live updates fetched before this do not undo it
      return (rec.el = el);
    }

    function actions(rec) {
      const c = rec.c, pub = c.status === 'published', open = pub && !S.closed, bar = h('div.th-actions');
      const voted = load(VOTES)[c.id];
      const panel = (cls, text, kind) => button(cls, text, ev => toggle(rec, kind, ev.currentTarget),
        {'aria-expanded': 'false'});
      for (const v of pub ? [1, -1] : []) {
        bar.append(open && !own[c.id] ? button(v > 0 ? 'th-up' : 'th-down', null, () => vote(rec, v),
          {'aria-pressed': String(voted === v)}) : h('span.th-score'));
        bar.lastChild.append(h('span', {'aria-hidden': 'true', text: v > 0 ? '▲' : '▼'}),
          h('span.th-vh', {text: v > 0 ? t('Vote up') : t('Vote down')}), ' ', h('span.th-n', {text: v > 0 ? c.upvotes : c.downvotes}));
      }
      if (open && c.depth < S.cfg.max_depth) bar.append(panel('th-reply', t('Reply'), 'reply'));
      const left = editLeft(c);
      if (left > 0) {
        bar.append(panel('th-edit', t('Edit'), 'edit'), button('th-delete', t('Delete'), () => remove(rec)));
        clearTimeout(rec.timer);
        rec.timer = setTimeout(() => redoBar(rec), left);
      }
      if (pub) bar.append(panel('th-report', t('Report'), 'report'));
      return bar;
    }
    const redoBar = rec => rec.bar.replaceWith(rec.bar = actions(rec));

    // A notice under a comment; a good one fades after a few seconds, a problem stays until the next action.
    function note(rec, text, bad) {
      Object.assign(rec.msg, {textContent: text, className: 'th-msg' + (bad ? ' th-bad' : ''), hidden: false});
      clearTimeout(rec.fade);
      if (!bad) rec.fade = setTimeout(() => { rec.msg.hidden = true; }, NOTICE_MS);
      say(text);
    }
    function failed(rec, e) {
      if (e.code === 'comments_closed') return closeStory();
      if (e.code === 'edit_window_over') {
        own[rec.c.id].over = 1;
        saveOwn();
        rec.slot.textContent = '';
        if (rec.body) rec.body.hidden = false;
        redoBar(rec);
      }
      note(rec, e.message, true);
    }

    function make(c) {
      const rec = {c, ol: h('ol.th-replies')};
      S.recs.set(c.id, rec);
      rec.li = h('li.th-item', {}, draw(rec), rec.ol);
      return rec;
    }
    function place(c, top) {
      if (S.recs.has(c.id)) return null;
      const rec = make(c), parent = S.recs.get(c.parent_id);
      // New top-level comments go first, below the pinned staff picks.
      const before = top && !parent && [...list.children].find(li => !li.firstChild.matches('.th-featured'));
      (parent ? parent.ol : list).insertBefore(rec.li, before || null);
      (c.replies || []).forEach(r => place(r));
      return rec;
    }

    async function fetchPage(next) {
      const q = new URLSearchParams({site: SITE, url: S.url, sort: S.sort});
      if (next) q.set('cursor', S.cursor);
      const [data] = await Promise.all([call('GET', 'threads?' + q), config]);
      if (!next) {
        list.textContent = '';
        S.recs.clear();
        S.etag = data.etag;
        pending = null;
        news.hidden = true;
      }
      if (data.story.closed) closeStory(true, data.story);
      const size = S.recs.size, first = data.comments.map(c => place(c)).find(Boolean);
      if (!next) S.held.forEach(c => place(c, true));
      S.cursor = data.next_cursor;
      more.hidden = !S.cursor;
      setTotal(data.total);
      return {first, n: S.recs.size - size};
    }

    async function refresh() {
      alertBox.textContent = '';
      try {
        await fetchPage();
        if (!started) {
          started = true;
          if (!S.closed) compose.append(form());
          ownHeld();
          if (!D.hidden) listen(true);
        }
      } catch (e) {
        list.textContent = '';
        alertBox.textContent = t('The comments could not be loaded. {problem}', {problem: e.message});
      }
    }

    async function loadMore() {
      more.disabled = true;
      more.textContent = t('Loading…');
      try {
        const {first, n} = await fetchPage(true);
        say(tn('{n} more comment loaded', '{n} more comments loaded', n));
        focus(first ? first.el : title);
      } catch (e) { alertBox.textContent = e.message; }
      more.disabled = false;
      more.textContent = t('Load more comments');
    }

    // One's own held comments are not in the thread: fetch them with their edit tokens, and the
    // text and deadline of those one may still edit.
    async function ownHeld() {
      await Promise.all(Object.keys(own).map(async id => {
        const r = own[id];
        if (r.url !== S.url || r.status !== 'held' && editLeft({id}) <= 0) return;
        try {
          const {comment: c} = await call('GET', 'comments/' + id, null, {'X-Townhall-Edit-Token': r.token});
          Object.assign(r, {status: c.status, body: c.body, until: c.editable_until});
          if (c.status === 'held') S.held.push(c);
          else delete r.msg;
        } catch (e) { if (e.status === 404 || e.status === 401) delete own[id]; }
      }));
      saveOwn();
      S.held.forEach(c => place(c, true));
    }

    // "Comments closed on 2 October 2026: <the editor's reason>"
    function closedText(st) {
      const when = st && st.closed_at && new Date(st.closed_at);
      const date = when && !isNaN(when) && when.toLocaleDateString(LANG, {day: 'numeric', month: 'long', year: 'numeric'});
      return (date ? t('Comments closed on {date}.', {date}) : t('Comments closed.'))
        + (st && st.close_reason ? ' ' + cap(st.close_reason) : '');
    }
    function closeStory(quiet, st) {
      if (!S.closed) {
        S.closed = true;
        compose.replaceChildren(h('p.th-closed', {text: closedText(st)}));
        for (const rec of S.recs.values()) {
          rec.slot.textContent = '';
          if (rec.body) rec.body.hidden = false;
          redoBar(rec);
        }
        setTotal(S.total);
      }
      if (!quiet) say(compose.textContent || t('Comments are closed.'));
    }

    // Inline panels under a comment (reply, edit, report), one at a time; Escape closes them.
    function toggle(rec, kind, opener) {
      const was = rec.slot.firstChild, same = was && was.dataset.kind === kind;
      const close = back => {
        rec.slot.textContent = '';
        rec.bar.querySelectorAll('[aria-expanded]').forEach(b => b.setAttribute('aria-expanded', 'false'));
        if (rec.body) rec.body.hidden = false;
        if (back) focus(opener.isConnected ? opener : rec.el);
      };
      close(same);
      if (same) return;
      const panel = kind === 'report' ? reportForm(rec, close) : form(kind, rec, close);
      panel.dataset.kind = kind;
      panel.addEventListener('keydown', ev => {
        if (ev.key === 'Escape') {
          ev.preventDefault();
          close(true);
        }
      });
      opener.setAttribute('aria-expanded', 'true');
      if (kind === 'edit') rec.body.hidden = true;
      rec.slot.append(panel);
      focus(panel.querySelector('textarea,select'));
    }

    function form(kind, rec, close) {
      const edit = kind === 'edit', guest = !S.sso && !edit, me = load('townhall:author');
      const body = h('textarea', {rows: 4, maxlength: S.cfg.max_chars});
      const name = guest && h('input', {type: 'text', autocomplete: 'name', maxlength: 80, value: me.name || ''});
      const email = guest && h('input', {type: 'email', autocomplete: 'email', maxlength: 320, value: me.email || ''});
      const trap = h('input', {type: 'text', name: 'website', id: 'th' + ++seq, tabindex: -1, autocomplete: 'off'});
      const notify = !edit && S.cfg.notify && h('input', {type: 'checkbox', id: 'th' + ++seq});
      const alert = h('div.th-alert', {role: 'alert'});
      const submit = h('button.th-submit', {type: 'submit', text: edit ? t('Save changes') : rec ? t('Post reply') : t('Post comment')});
      const inputs = {body, author_name: name, author_email: email};
      // The Markdown as the server has it; else as kept here; else the shown text.
      if (edit) body.value = rec.c.body || (own[rec.c.id] || {}).body || rec.body.innerText.trim();
      const f = h(rec ? `form.th-form th-${kind}-form` : 'form.th-form', {novalidate: true},
        field('body', edit ? t('Edit your comment') : rec ? t('Your reply to {name}', {name: rec.c.author.name || t('Anonymous')})
          : t('Your comment'), body, h('p.th-hint', {text: t('Markdown works: *italic*, **bold**, [link](https://…), > quote')})),
        guest && h('div.th-row', {}, field('author_name', t('Name'), name),
          field('author_email', h('span', {}, t('E-mail') + ' ', h('small', {text: t('(optional, never shown)')})), email)),
        notify && h('p.th-notify', {}, notify, h('label', {for: notify.id, text: t('Notify me of replies by e-mail')})),
        !edit && h('div.th-hp', {'aria-hidden': 'true'}, h('label', {for: trap.id, text: t('Website (leave empty)')}), trap),
        alert, h('div.th-buttons', {}, submit, close && button('th-cancel', t('Cancel'), () => close(true))));

      function problems(fields, message) {
        let first;
        for (const [k, text] of Object.entries(fields)) {
          const input = inputs[k];
          if (!input) continue;
          Object.assign(input.parentNode.lastChild,
            {textContent: text === 'required' ? t('This field is required.') : cap(text), hidden: false});
          input.setAttribute('aria-invalid', 'true');
          first = first || input;
        }
        alert.textContent = message || '';
        focus(first);
      }

      function ask(n) {
        const box = h('div.th-nudge', {role: 'alert'}, h('p', {text: n.question}), h('ul', {}, n.evidence.map(t => h('li', {text: t}))),
          h('div.th-buttons', {}, button('th-anyway', t('Post anyway'), () => { box.remove(); f.dataset.asked = 1; f.requestSubmit(); }),
            button('th-revise', t('Edit'), () => { box.remove(); focus(body); })));
        f.querySelectorAll('.th-nudge').forEach(e => e.remove());
        alert.before(box);
        focus(box.querySelector('button'));
      }

      f.addEventListener('submit', async ev => {
        ev.preventDefault();
        alert.textContent = '';
        f.querySelectorAll('.th-error').forEach(e => { e.hidden = true; });
        f.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-invalid'));
        const text = body.value.trim(), bad = {};
        if (!text) bad.body = t('Please write your comment first.');
        if (guest && !name.value.trim()) bad.author_name = t('Please enter your name.');
        if (guest && notify && notify.checked && !email.value.trim()) bad.author_email = t('Please enter your e-mail to be notified.');
        if (Object.keys(bad).length) return problems(bad);
        const label = submit.textContent;
        submit.disabled = true;
        submit.textContent = edit ? t('Saving…') : t('Posting…');
        try {
          if (edit) return await saveEdit(rec, text, close);
          // The site may ask first when a comment looks off-topic or uncivil; the author decides.
          if (S.cfg.nudge && !f.dataset.asked) {
            const n = await call('POST', 'comments/check', {site: SITE, url: S.url, body: text, parent_id: rec ? rec.c.id : null}).catch(() => 0);
            if (n && n.ask) return ask(n);
          }
          delete f.dataset.asked;
          const who = guest ? {name: name.value.trim(), email: email.value.trim()} : {};
          const r = await call('POST', 'comments', {site: SITE, url: S.url, body: text, parent_id: rec ? rec.c.id : null,
            author_name: who.name || null, author_email: who.email || null, sso_token: S.sso, website: trap.value, notify_replies: !!(notify && notify.checked)});
          if (guest) save('townhall:author', who);
          if (r.status === 'rejected') return (alert.textContent = r.message);
          const c = r.comment, held = r.status === 'held';
          own[c.id] = {token: r.edit_token, url: S.url, created: c.created_at, body: c.body || text, status: r.status,
            until: c.editable_until, skew: Date.parse(c.created_at) - Date.now(), msg: held ? r.message : undefined};
          saveOwn();
          body.value = '';
          if (close) close();
          if (held) S.held.push(c);
          let added = place(c, !rec && S.sort !== 'oldest');
          if (!added && (added = S.recs.get(c.id))) draw(Object.assign(added, {c})); // a live update came first
          offer();
          setTotal(S.total + !held);
          say((held ? t('Your comment is awaiting moderation.') : t('Comment posted.')) + (r.notify ? ' ' + r.notify : ''));
          if (added) {
            added.el.classList.add('th-new');
            focus(added.el);
          }
        } catch (e) {
          if (e.code === 'comments_closed' || e.code === 'edit_window_over') failed(rec, e);
          else problems(e.fields, e.message);
        } finally {
          submit.disabled = false;
          submit.textContent = label;
        }
      });
      return f;
    }

    async function saveEdit(rec, text, close) {
      const id = rec.c.id, mine = own[id], was = rec.c.status;
      const r = await call('PATCH', 'comments/' + id, {body: text}, {'X-Townhall-Edit-Token': mine.token});
      const st = r.status;
      Object.assign(mine, {body: r.comment.body || text, until: r.comment.editable_until || mine.until, status: st,
        msg: st === 'published' ? undefined : r.message});
      if (st === 'rejected') delete own[id];
      saveOwn();
      setTotal(S.total + (st === 'published') - (was === 'published'));
      close();
      rec.c = {...r.comment, replies: []};
      S.held = S.held.filter(x => x.id !== id);
      if (st === 'held') S.held.push(rec.c);
      draw(rec);
      note(rec, st === 'published' ? t('Your changes are saved.') : r.message, st === 'rejected');
      focus(rec.el);
    }

    async function remove(rec) {
      const c = rec.c;
      if (!W.confirm(t('Delete your comment? This cannot be undone.'))) return;
      try {
        await call('DELETE', 'comments/' + c.id, null, {'X-Townhall-Edit-Token': own[c.id].token});
      } catch (e) { return failed(rec, e); }
      delete own[c.id];
      saveOwn();
      S.held = S.held.filter(x => x.id !== c.id);
      if (rec.ol.children.length) { // replies stay, under a placeholder
        rec.c = {...c, status: 'deleted'};
        focus(draw(rec));
      } else { // the record stays, detached, until live updates have caught up
        rec.li.remove();
        rec.at = Date.now();
        focus(title);
      }
      setTotal(S.total - (c.status === 'published'));
      say(t('Your comment was deleted.'));
    }

    // Pressing one's own vote again takes it back; the other button turns it.
    async function vote(rec, value) {
      const votes = load(VOTES), id = rec.c.id, already = t('You have already voted on this comment.');
      const undo = votes[id] === value, sso = S.sso ? {sso_token: S.sso} : null;
      try {
        const {comment} = await (undo ? call('DELETE', `comments/${id}/votes`, sso)
          : call('POST', `comments/${id}/votes`, {value, ...sso}));
        Object.assign(rec.c, comment);
        const next = {...votes, [id]: value};
        if (undo) delete next[id];
        save(VOTES, next);
        [comment.upvotes, comment.downvotes].forEach((n, i) => {
          const b = rec.bar.children[i];
          b.setAttribute('aria-pressed', String(!undo && value === 1 - 2 * i));
          b.lastChild.textContent = n;
        });
        say(undo ? t('Vote taken back') : value > 0 ? t('Voted up') : t('Voted down'));
      } catch (e) {
        if (e.code === 'no_vote') { const next = {...votes}; delete next[id]; save(VOTES, next); }
        if (e.code === 'already_voted') note(rec, already);
        else failed(rec, e);
      }
    }

    function reportForm(rec, close) {
      const reasons = {spam: t('Spam'), abuse: t('Abuse'), off_topic: t('Off-topic'), misinformation: t('Misinformation'), other: t('Other')};
      const reason = h('select', {}, Object.entries(reasons).map(([value, text]) => h('option', {value, text})));
      const why = h('input', {type: 'text', maxlength: 500});
      const alert = h('div.th-alert', {role: 'alert'});
      const send = h('button.th-submit', {type: 'submit', text: t('Send report')});
      return h('form.th-report-form', {novalidate: true, async onsubmit(ev) {
        ev.preventDefault();
        send.disabled = true;
        try {
          const r = await call('POST', `comments/${rec.c.id}/reports`, {reason: reason.value, note: why.value.trim(), sso_token: S.sso});
          close(true);
          note(rec, r.message);
        } catch (e) {
          if (e.code !== 'already_reported') return (alert.textContent = e.message);
          close(true);
          note(rec, e.message);
        } finally { send.disabled = false; }
      }},
      field('reason', t('Why are you reporting this comment?'), reason),
      field('note', t('Note for the moderators (optional)'), why),
      alert, h('div.th-buttons', {}, send, button('th-cancel', t('Cancel'), () => close(true))));
    }

    // --- live updates: on `changed`, page 1 again (304 when nothing changed), merged in place ------
    let es, nap, busy, again, pending;
    const FIELDS = ['status', 'html', 'edited_at', 'upvotes', 'downvotes', 'featured'];
    const panel = el => el.querySelector('.th-slot > *'); // an open reply, edit or report form: leave it alone
    const typing = () => [...root.querySelectorAll('textarea')].some(t => t === D.activeElement || t.value.trim());
    const unseen = items => items.reduce((n, c) => n + !S.recs.has(c.id) + unseen(c.replies), 0);

    function listen(on) {
      clearTimeout(nap);
      if (es && (!on || es.readyState === 2)) es = es.close();
      if (!on || es) return;
      es = new EventSource(API + 'threads/live?' + new URLSearchParams({site: SITE, url: S.url}));
      es.addEventListener('changed', changed);
      es.addEventListener('open', changed); // each (re)connection catches up on what it missed: 304 if nothing
    }
    const wake = () => started && !D.hidden && listen(true);
    D.addEventListener('visibilitychange', () => (D.hidden ? (nap = setTimeout(listen, 12e4, false)) : wake()));
    W.addEventListener('pagehide', () => listen(false));
    W.addEventListener('pageshow', wake);

    async function changed() {
      if (busy) return (again = true);
      busy = true;
      try {
        const q = new URLSearchParams({site: SITE, url: S.url, sort: S.sort}), at = Date.now();
        const data = await call('GET', 'threads?' + q, null, S.etag ? {'If-None-Match': S.etag} : {});
        if (data && data.sort === S.sort) {
          S.etag = data.etag;
          pending = Object.assign(data, {at});
        }
        if (pending) {
          if (typing() && unseen(pending.comments)) {
            if (news.hidden) say(t('New comments'));
            offer();
          } else apply();
        }
      } catch (e) { /* the next change tries again */ }
      busy = false;
      if (again) {
        again = false;
        changed();
      }
    }

    function offer() {
      const n = pending ? unseen(pending.comments) : 0;
      news.textContent = tn('{n} new comment — show', '{n} new comments — show', n);
      news.hidden = !n;
    }

    // New comments go after their neighbour on the page; changed ones are redrawn; gone ones leave.
    function merge(items, box, at, fresh, seen) {
      let prev = null;
      for (const c of items) {
        let rec = S.recs.get(c.id);
        if (!rec) {
          box.insertBefore((rec = make(c)).li, prev ? prev.li.nextSibling : box.firstChild);
          rec.el.classList.add('th-new');
          fresh.push(rec);
        } else if (FIELDS.some(k => rec.c[k] !== c[k]) && rec.at < at && !panel(rec.el)
          && !rec.el.contains(D.activeElement)) {
          const mine = own[c.id];
          if (mine && rec.c.status === 'held') { // approved or rejected by a moderator
            Object.assign(mine, {status: c.status, msg: undefined});
            S.held = S.held.filter(x => x.id !== c.id);
            saveOwn();
          }
          draw(Object.assign(rec, {c: {...c, body: rec.c.body}}));
        }
        seen.add(c.id);
        merge(c.replies, rec.ol, at, fresh, seen);
        if (rec.li.parentNode === box) prev = rec;
      }
    }

    function apply() {
      const data = pending, fresh = [], seen = new Set(), had = root.contains(D.activeElement);
      pending = null;
      news.hidden = true;
      if (!data) return fresh;
      // Keep what the reader is looking at where it is, whatever is added or removed above it.
      const rect = e => e.getBoundingClientRect();
      const mark = [title, compose, ...list.querySelectorAll('.th-comment')].find(e => rect(e).bottom > 0);
      const y = mark && rect(mark).top, older = list.querySelectorAll('.th-new');
      merge(data.comments, list, data.at, fresh, seen);
      if (fresh.length) older.forEach(e => e.classList.remove('th-new')); // "new" is the latest arrivals
      // Absent now: a reply whose parent is on page 1; a top-level comment above the last one on page 1
      // (below it, it may just have moved to page 2; with "best" that cannot be told).
      const last = data.comments.map(c => S.recs.get(c.id).li).filter(li => li.isConnected).pop();
      for (const rec of S.recs.values()) {
        const c = rec.c, top = c.parent_id == null;
        if (seen.has(c.id) || c.status === 'held' || rec.at > data.at || panel(rec.li) || !rec.li.isConnected) continue;
        if (top ? !data.next_cursor || S.sort !== 'best' && last && rec.li.compareDocumentPosition(last) & 4 // before
          : seen.has(c.parent_id)) rec.li.remove();
      }
      for (const [id, rec] of S.recs) if (!rec.li.isConnected && rec.at < data.at) S.recs.delete(id);
      if (mark && mark.isConnected) W.scrollBy(0, rect(mark).top - y);
      if (had && !root.contains(D.activeElement)) title.focus({preventScroll: true}); // it was in what left
      if (data.story.closed) closeStory(true, data.story);
      if (!S.cursor && data.next_cursor) more.hidden = !(S.cursor = data.next_cursor);
      setTotal(data.total);
      if (fresh.length) say(t('New comments'));
      return fresh;
    }

    // Start: the site's settings and the first page together; then the form and one's own held comments.
    let started = false;
    const config = call('GET', `sites/${encodeURIComponent(SITE)}/config`).then(c => Object.assign(S.cfg, c), () => 0);
    refresh();
    setInterval(() => list.querySelectorAll('time').forEach(t => { t.textContent = ago(new Date(t.dateTime)); }), 6e4);
  }

  // --- comment counts on section pages: one request per 200 URLs ---------------------------------
  function counts() {
    const els = [...D.querySelectorAll('[data-townhall-count-url]')];
    const abs = e => new URL(e.dataset.townhallCountUrl, D.baseURI).href;
    const urls = [...new Set(els.map(abs))];
    for (let i = 0; i < urls.length; i += 200) {
      const q = new URLSearchParams([['site', SITE], ...urls.slice(i, i + 200).map(u => ['url', u])]);
      call('GET', 'counts?' + q).then(d => els.forEach(e => {
        const n = d.counts[abs(e)];
        if (n != null) e.textContent = NF.format(e.dataset.townhallCount = n);
      }), () => 0);
    }
  }

  function start() {
    if (!D.querySelector('link[data-townhall-css]')) {
      D.head.append(h('link', {rel: 'stylesheet', href: BASE + 'embed.css', 'data-townhall-css': ''}));
    }
    const target = D.querySelector(opt.townhallTarget || '#townhall-comments');
    const canonical = D.querySelector('link[rel=canonical]');
    if (target) {
      mountNow(target, {url: opt.townhallUrl || (canonical && canonical.href) || location.href.split('#')[0],
        sort: opt.townhallSort, theme: opt.townhallTheme, sso: opt.townhallSsoToken});
    }
    ready.then(counts);
  }

  const mountNow = (el, o) => ready.then(() => mount(el, o));
  W.Townhall = {mount: (el, o = {}) => mountNow(el, {...o, url: o.url || location.href.split('#')[0]}),
    counts: () => ready.then(counts)};
  if (!SITE) return;
  if (D.readyState === 'loading') D.addEventListener('DOMContentLoaded', start);
  else start();
})();
