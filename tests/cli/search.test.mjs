// SPDX-License-Identifier: MIT
// contacts list --search ignores letter case, also for letters beyond
// ASCII, in names, companies and emails, on SQLite and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Workdir } from './lib.mjs';

// Each row: what the contact holds, and searches that must find it.
const CASES = [
  [{ 'last-name': 'Jensen', company: 'Nørrebro Bryghus' },
    ['nørrebro', 'NØRREBRO', 'Nørrebro bry']],
  [{ 'first-name': 'Thảo', 'last-name': 'Nguyễn' },
    ['thảo', 'THẢO', 'thảo nguyễn', 'NGUYỄN']],
  [{ 'first-name': 'Jürgen', 'last-name': 'Müller',
    email: 'jurgen@mueller.example' },
    ['müller', 'MÜLLER', 'JÜRGEN MÜ', 'JURGEN@']],
  [{ 'last-name': 'Σωκράτης' }, ['σωκράτης', 'ΣΩΚΡΆΤ']],
];

test('search folds case beyond ASCII', async () => {
  const w = new Workdir('sfsync-search-');
  try {
    await w.ok(['init']);
    const ids = [];
    for (const [fields] of CASES) {
      const args = ['contacts', 'add', '--json'];
      for (const [k, v] of Object.entries(fields)) args.push(`--${k}`, v);
      ids.push((await w.json(args)).id);
    }
    await w.ok(['contacts', 'add', '--last-name', 'Smith']);
    for (const [i, [, searches]] of CASES.entries()) {
      for (const q of searches) {
        const found = await w.json(['contacts', 'list', '--json', '--search', q]);
        assert.equal(found.total, 1, `search '${q}'`);
        assert.deepEqual(found.contacts.map((c) => c.id), [ids[i]],
          `search '${q}'`);
      }
    }
    // ASCII searches still ignore case, and a folded search finds no
    // other contact.
    const smith = await w.json(['contacts', 'list', '--json', '--search', 'SMITH']);
    assert.equal(smith.total, 1);
    const none = await w.json(['contacts', 'list', '--json', '--search', 'ØX']);
    assert.equal(none.total, 0);
  } finally {
    w.remove();
  }
});
