/* Townhall dashboard: keyboard-driven queue. Everything works without this file; it only saves page loads.
   j/k move, a approve, r reject, f feature, x select, o open, ? help. Actions go to /admin/api/… with the
   page's CSRF token; the next comment's details load in place, and the queue counts refresh every 20 s. */
(() => {
  'use strict';
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
  const csrf = ($('meta[name="csrf-token"]') || {}).content || '';
  const base = document.body.dataset.prefix || '/admin';
  const announcer = $('#announce');
  // What the script says, in the page's language: the server puts this page's translations in #th-messages
  // (nothing for English); %(name)s placeholders are filled after translating.
  const MESSAGES = (() => {
    try { return JSON.parse(($('#th-messages') || {}).textContent || '{}'); } catch (error) { return {}; }
  })();
  const t = (text, values = {}) =>
    (MESSAGES[text] || text).replace(/%\((\w+)\)s/g, (all, name) => (name in values ? String(values[name]) : all));
  const LABELS = {approve: t('Approved'), reject: t('Rejected'), feature: t('Featured'), unfeature: t('No longer featured'),
    ban: t('Author banned'), notes: t('Notes saved')};

  const say = (text) => {
    if (!announcer) return;
    announcer.textContent = '';
    window.setTimeout(() => { announcer.textContent = text; }, 40);
  };
  const typing = (el) => !!el && (el.isContentEditable ||
    el.matches('textarea, select, input:not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button])'));
  const narrow = () => window.matchMedia('(max-width: 56rem)').matches;

  async function request(url, body) {
    const options = {credentials: 'same-origin', headers: {Accept: 'application/json'}};
    if (body !== undefined) {
      options.method = 'POST';
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRF-Token'] = csrf;
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) {
      window.location.assign(`${base}/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    }
    if (!response.ok) throw new Error((data.error && data.error.message) || t('The server answered %(status)s.', {status: response.status}));
    return data;
  }

  function fields(form) {
    const out = {};
    for (const [key, value] of new FormData(form)) {
      if (key === 'csrf' || key === 'next') continue;
      out[key] = key in out ? [].concat(out[key], value) : value;
    }
    return out;
  }

  function showError(container, message) {
    const old = $('.js-error', container);
    if (old) old.remove();
    const p = document.createElement('p');
    p.className = 'error js-error';
    p.setAttribute('role', 'alert');
    p.textContent = message;
    container.prepend(p);
  }

  function helpKeys(event) {
    const help = $('#help');
    if (event.key === '?' && help && typeof help.showModal === 'function') {
      if (!help.open) help.showModal();
      event.preventDefault();
      return true;
    }
    return !!(help && help.open);
  }

  function submitAction(root, action) {
    const selector = action === 'feature' ? 'form[data-action="feature"], form[data-action="unfeature"]'
      : `form[data-action="${action}"]`;
    const form = $(selector, root);
    if (form) form.requestSubmit();
    return !!form;
  }

  // --- the queue page -------------------------------------------------------------------------
  const list = $('.q-items');
  const detail = $('#detail');
  if (list && detail && !detail.classList.contains('standalone')) {
    const queue = list.dataset.queue;
    const filters = list.dataset.filters || '';
    const empty = $('[data-empty]');
    let newest = Number(list.dataset.newest || 0);
    let current = null;
    let ticket = 0;

    const items = () => $$('.q-item', list);
    const stays = (status, action) => ({
      held: status === 'held', pending: status === 'held', rejected: status === 'rejected',
      reported: action === 'feature' || action === 'unfeature', recent: true,
    })[queue];

    function mark(item, focus) {
      for (const el of items()) {
        el.classList.toggle('current', el === item);
        $('.q-link', el).removeAttribute('aria-current');
      }
      current = item || null;
      if (!item) return;
      const link = $('.q-link', item);
      link.setAttribute('aria-current', 'true');
      item.scrollIntoView({block: 'nearest'});
      if (focus) link.focus({preventScroll: true});
    }

    async function show(item, {focus = true, scroll = false} = {}) {
      mark(item, focus);
      if (empty) empty.hidden = items().length > 0;
      if (!item) {
        detail.innerHTML = '';
        return;
      }
      const mine = ++ticket;
      detail.classList.add('loading');
      try {
        const back = location.pathname + location.search;
        const data = await request(`${base}/api/comments/${item.dataset.id}?next=${encodeURIComponent(back)}`);
        if (mine !== ticket) return;
        detail.innerHTML = data.html;
        const url = new URL(location.href);
        url.searchParams.set('selected', item.dataset.id);
        url.hash = '';
        history.replaceState(null, '', url);
        if (scroll && narrow()) detail.scrollIntoView();
      } catch (error) {
        if (mine === ticket) showError(detail, error.message);
      } finally {
        if (mine === ticket) detail.classList.remove('loading');
      }
    }

    async function refill(keep) {
      const data = await request(`${base}/api/queue/${queue}?${filters}`);
      list.innerHTML = data.items.map((item) => item.html).join('');
      const again = keep && $(`.q-item[data-id="${keep}"]`, list);
      await show(again || items()[0] || null, {focus: true});
      counts();
    }

    function move(delta) {
      const all = items();
      if (!all.length) return;
      const at = current ? all.indexOf(current) : -1;
      const next = all[Math.min(Math.max(at + delta, 0), all.length - 1)];
      if (next !== current) show(next);
    }

    async function act(form) {
      const action = form.dataset.action;
      const article = form.closest('.detail');
      const id = article ? article.dataset.id : null;
      const button = $('button[type=submit]', form);
      if (button) button.setAttribute('aria-busy', 'true');
      try {
        const data = await request(form.dataset.api, fields(form));
        // Plain concatenation, not a template literal: `make messages` reads t('…') calls outside those only.
        const label = LABELS[action] || t('Done');
        const also = data.rejected ? ' ' + t('%(n)s held comments rejected.', {n: data.rejected}) : '';
        say(label + '.' + also);
        const item = id && $(`.q-item[data-id="${id}"]`, list);
        if (action === 'ban') {
          await refill(id);
        } else if (action === 'notes' || !item) {
          if (item) await show(item, {focus: false});
        } else if (stays(data.comment.status, action)) {
          await show(item);
        } else {
          const next = item.nextElementSibling || item.previousElementSibling;
          item.remove();
          if (next) await show(next);
          else await refill();
        }
        counts();
      } catch (error) {
        showError(detail, error.message);
      } finally {
        if (button) button.removeAttribute('aria-busy');
      }
    }

    async function counts() {
      if (document.hidden) return;
      try {
        const site = list.dataset.site ? `?site=${encodeURIComponent(list.dataset.site)}` : '';
        const data = await request(`${base}/api/counts${site}`);
        for (const name of ['held', 'pending', 'reported']) {
          for (const badge of $$(`[data-live="${name}"]`)) badge.textContent = data[name];
        }
        for (const badge of $$('[data-live="total"]')) badge.textContent = data.held + data.pending + data.reported;
        const note = $('[data-live="note"]');
        if (note && data.newest > newest) note.hidden = false;
      } catch (error) {
        /* a missed count is retried on the next tick */
      }
    }

    detail.addEventListener('submit', (event) => {
      const form = event.target;
      if (!form.dataset || !form.dataset.api) return;
      event.preventDefault();
      act(form);
    });

    const bulk = $('#bulk');
    if (bulk) {
      bulk.addEventListener('submit', async (event) => {
        event.preventDefault();
        const ids = $$('.q-check:checked', list).map((box) => box.value);
        if (!ids.length) {
          say(t('Select comments first: press x on each, or tick their boxes.'));
          showError(detail, t('Select comments first: press x on each, or tick their boxes.'));
          return;
        }
        const action = event.submitter ? event.submitter.value : 'approve';
        try {
          const data = await request(bulk.dataset.api, {ids, action, reason: $('select[name=reason]', bulk).value});
          say(action === 'approve' ? t('%(n)s comments approved.', {n: data.changed})
            : t('%(n)s comments rejected.', {n: data.changed}));
          await refill();
        } catch (error) {
          showError(detail, error.message);
        }
      });
    }

    list.addEventListener('click', (event) => {
      const link = event.target.closest('.q-link');
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      show(link.closest('.q-item'), {scroll: true});
    });

    document.addEventListener('keydown', (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      if (helpKeys(event)) return;
      const article = $('.detail', detail);
      switch (event.key) {
        case 'j': move(1); break;
        case 'k': move(-1); break;
        case 'a': if (article) submitAction(article, 'approve'); break;
        case 'r': if (article) submitAction(article, 'reject'); break;
        case 'f': if (article) submitAction(article, 'feature'); break;
        case 'x': {
          const box = current && $('.q-check', current);
          if (box) {
            box.checked = !box.checked;
            say(box.checked ? t('Selected.') : t('Not selected.'));
          }
          break;
        }
        case 'o': if (article) window.location.assign(article.dataset.page); break;
        default: return;
      }
      event.preventDefault();
    });

    const selected = list.dataset.selected && $(`.q-item[data-id="${list.dataset.selected}"]`, list);
    mark(selected || null, false);
    window.setInterval(counts, 20000);
    document.addEventListener('visibilitychange', counts);
    return;
  }

  // --- one comment on its own page: the same keys submit its forms the ordinary way -------------
  const article = $('.detail');
  if (article) {
    document.addEventListener('keydown', (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const actions = {a: 'approve', r: 'reject', f: 'feature'};
      if (actions[event.key] && submitAction(article, actions[event.key])) event.preventDefault();
    });
  }
})();
