// keycard in a real browser: headless Debian Chromium driven by playwright-core against
// the release build (scripts/e2e starts it). Each step checks what a person would see
// (text on the page, the URL), runs axe-core on the page in light and dark mode, checks
// that every link on it leads somewhere, and saves screenshots at 360 px and 1440 px
// under target/screenshots/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BASE = process.env.KEYCARD_URL ?? 'http://127.0.0.1:8080';
const SHOTS = process.env.SCREENSHOT_DIR ?? 'target/screenshots';
const ADMIN = process.env.KEYCARD_ADMIN ?? 'e2e_admin';
const ADMIN_PASSWORD = process.env.KEYCARD_ADMIN_PASSWORD ?? 'e2e-admin-passphrase';
const PASSWORD = 'wonderland-rabbit-hole';
// Without the background-networking flags Chromium keeps dialling Google's hosts,
// which this machine's closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

let browser;
const shown = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // Playwright gives every launch a fresh, empty profile (a new --user-data-dir), and
  // every context its own cookie jar: a second context is a second browser profile.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
});

after(async () => {
  await browser?.close();
  console.log(`pages checked and photographed:\n  ${shown.join('\n  ')}`);
});

async function visitor(options = {}) {
  const context = await browser.newContext({ baseURL: BASE, viewport: { width: 1440, height: 900 }, ...options });
  const page = await context.newPage();
  return { context, page };
}

function path(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** axe-core in light and dark mode, no scripts of our own, links that lead somewhere
 * (unless the site is broken on purpose), then screenshots at phone and desktop width. */
async function inspect(page, name, { followLinks = true } = {}) {
  assert.equal(await page.locator('script').count(), 0, `${name}: pages need no JavaScript`);
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    // Evaluated through the DevTools protocol, so the page's CSP (no inline script)
    // does not apply to the checker itself.
    await page.evaluate(AXE);
    const violations = await page.evaluate(async (tags) => {
      const results = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return results.violations.map(
        (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
    }, AXE_TAGS);
    assert.deepEqual(violations, [], `${name} (${colorScheme}) has accessibility violations`);
  }
  await page.emulateMedia({ colorScheme: 'light' });

  const hrefs = followLinks
    ? await page.$$eval('a[href]', (links) => [...new Set(links.map((a) => a.getAttribute('href')))])
    : [];
  for (const href of hrefs) {
    if (href.startsWith('#')) {
      assert.ok(await page.locator(href).count(), `${name}: in-page link ${href} has a target`);
      continue;
    }
    const response = await page.request.get(href, { maxRedirects: 0 });
    assert.ok(response.status() < 400, `${name}: link ${href} answers ${response.status()}`);
  }

  for (const [width, height] of [[360, 740], [1440, 900]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
    const overflow = await page.evaluate(() => {
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
        .map((e) => e.tagName.toLowerCase() + (e.className ? `.${e.className}` : ''));
      return { by: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 5) };
    });
    assert.ok(overflow.by <= 0, `${name}: the page scrolls sideways at ${width} px (${overflow.by} px too wide: ${overflow.wide})`);
  }
  shown.push(`${name}: ${path(page)} → ${name}-360.png, ${name}-1440.png`);
}

async function signIn(page, username, password) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The RFC 6238 code of a base32 secret (as read off the setup page, spaces and all),
 * `offset` 30-second steps from now: what an authenticator app would show. */
function totp(secret, offset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const key = [];
  for (const c of secret.replace(/[\s=]/g, '')) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      key.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = createHmac('sha1', Buffer.from(key)).update(counter).digest();
  const at = mac[19] & 0xf;
  const number = ((mac[at] & 0x7f) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3];
  return String(number % 1_000_000).padStart(6, '0');
}

/** Sign-ups through the JSON API, from a program without cookies. */
async function seedUsers(names) {
  for (const username of names) {
    const response = await fetch(`${BASE}/users`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    assert.equal(response.status, 201, `seeding ${username}`);
  }
}

test('a visitor signs up, manages sessions, and an admin manages accounts', async (t) => {
  const alice = await visitor();
  const { page } = alice;

  await t.test('home page', async () => {
    await page.goto('/');
    assert.match(await page.locator('h1').innerText(), /One account/);
    assert.ok(await page.getByRole('link', { name: 'Sign in' }).first().isVisible());
    await inspect(page, 'home');
  });

  await t.test('sign-up shows every rule and error beside its field', async () => {
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    assert.equal(path(page), '/register');
    assert.match(await page.locator('#password-hint').innerText(), /At least 8 characters/);
    await inspect(page, 'register');

    await page.getByLabel('Username').fill('al');
    await page.getByLabel('Display name').fill('Alice <b>Liddell</b>');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.match(await page.locator('.error-summary').innerText(), /Please fix the following/);
    assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'username', 'focus on the first error');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'passwords are never sent back');
    assert.equal(await page.getByLabel('Display name').inputValue(), 'Alice <b>Liddell</b>');
    await inspect(page, 'register-errors');

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Display name').fill('Alice Liddell');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.equal(path(page), '/me');
    assert.match(await page.locator('.facts').innerText(), /alice/);
    assert.match(await page.locator('.nav').innerText(), /Alice Liddell\s*user/);
  });

  await t.test('profile: change the display name', async () => {
    await inspect(page, 'me');
    await page.getByLabel('Display name', { exact: true }).fill('Alice L.');
    await page.getByRole('button', { name: 'Save display name' }).click();
    assert.equal(path(page), '/me');
    assert.match(await page.locator('.flash').innerText(), /Display name saved/);
    assert.match(await page.locator('.facts').innerText(), /Alice L\./);
    await inspect(page, 'me-saved');
  });

  const phone = await visitor({ userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36' });

  await t.test('a second browser signs in and the first revokes it', async () => {
    await signIn(phone.page, 'alice', PASSWORD);
    assert.equal(path(phone.page), '/me');

    await page.goto('/me/sessions');
    const cards = page.locator('.session');
    assert.equal(await cards.count(), 2);
    assert.match(await page.locator('.session.current').innerText(), /This session/);
    assert.match(await page.locator('.sessions').innerText(), /Chrome on Android/);
    await inspect(page, 'sessions');

    await page.locator('.session:not(.current)').getByRole('button').click();
    assert.equal(path(page), '/me/sessions');
    assert.match(await page.locator('.flash').innerText(), /Session revoked/);
    assert.equal(await cards.count(), 1);

    await phone.page.goto('/me');
    assert.equal(path(phone.page), '/login?next=/me', 'the revoked browser is signed out');
  });

  await t.test('sign out, then a wrong and a right password', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    assert.equal(path(page), '/');
    assert.match(await page.locator('.flash').innerText(), /You are signed out/);
    assert.ok(await page.getByRole('link', { name: 'Sign in' }).first().isVisible());

    await page.getByRole('link', { name: 'Sign in' }).first().click();
    await inspect(page, 'login');
    await signIn(page, 'alice', 'not-the-password');
    assert.equal(path(page), '/login');
    assert.match(await page.locator('.error-summary').innerText(), /wrong username or password/);
    assert.equal(await page.getByLabel('Username').inputValue(), 'alice');
    await inspect(page, 'login-error');
    await signIn(page, 'alice', PASSWORD);
    assert.equal(path(page), '/me');
  });

  await t.test('browse and search people', async () => {
    await seedUsers(Array.from({ length: 45 }, (_, i) => `member${String(i).padStart(2, '0')}`));
    await page.getByRole('link', { name: 'People' }).click();
    assert.equal(path(page), '/users');
    assert.match(await page.locator('.pagination').innerText(), /Page 1 of 3/);
    await inspect(page, 'users');
    await page.getByRole('link', { name: 'Next →' }).click();
    assert.equal(path(page), '/users?page=2');

    await page.getByLabel('Search usernames').fill('member1');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.equal(path(page), '/users?q=member1');
    const rows = page.locator('tbody tr');
    assert.equal(await rows.count(), 10);
    assert.match(await page.locator('main').innerText(), /10 people matching “member1”/);
    await inspect(page, 'users-search');

    await page.getByRole('link', { name: 'member12' }).click();
    assert.match(await page.locator('h1').innerText(), /member12/);
    await inspect(page, 'user');
  });

  const admin = await visitor();

  await t.test('an admin promotes, disables and deletes a user', async () => {
    await seedUsers(Array.from({ length: 250 }, (_, i) => `crowd${String(i).padStart(3, '0')}`));
    await signIn(admin.page, ADMIN, ADMIN_PASSWORD);
    await admin.page.getByRole('link', { name: 'Admin', exact: true }).click();
    assert.equal(path(admin.page), '/admin');
    assert.match(await admin.page.locator('.stats').innerText(), /297\s*users/);
    await inspect(admin.page, 'admin');

    await admin.page.getByLabel('Search usernames').fill('alice');
    await admin.page.getByRole('button', { name: 'Search' }).click();
    await admin.page.getByRole('button', { name: 'Make admin (alice)' }).click();
    assert.match(await admin.page.locator('.flash').innerText(), /alice is now an admin/);
    await page.reload();
    assert.ok(await page.getByRole('link', { name: 'Admin', exact: true }).isVisible(), 'alice sees the admin link at once');

    await admin.page.getByLabel('Search usernames').fill('alice');
    await admin.page.getByRole('button', { name: 'Search' }).click();
    await admin.page.getByRole('button', { name: 'Disable alice' }).click();
    assert.match(await admin.page.locator('.flash').innerText(), /alice is disabled and signed out/);
    await page.goto('/me');
    assert.equal(path(page), '/login?next=/me', 'a disabled user is signed out at once');
    await signIn(page, 'alice', PASSWORD);
    assert.equal(path(page), '/login', 'and cannot sign in');

    await admin.page.getByLabel('Search usernames').fill('alice');
    await admin.page.getByRole('button', { name: 'Search' }).click();
    await inspect(admin.page, 'admin-search');
    await admin.page.getByRole('button', { name: 'Delete alice' }).click();
    assert.match(await admin.page.locator('.flash').innerText(), /alice was deleted/);
    await inspect(admin.page, 'admin-flash');
  });

  await t.test('an admin signs everyone out', async () => {
    const bystander = await visitor();
    await signIn(bystander.page, 'member01', PASSWORD);
    assert.equal(path(bystander.page), '/me');

    await admin.page.goto('/admin');
    await admin.page.getByRole('link', { name: 'Sign everyone out…' }).click();
    assert.equal(path(admin.page), '/admin?confirm=revoke-all');
    await inspect(admin.page, 'admin-confirm');
    await admin.page.getByRole('button', { name: 'Yes, sign everyone out' }).click();
    assert.equal(path(admin.page), '/login');
    assert.match(await admin.page.locator('.flash').innerText(), /Everyone was signed out/);

    await bystander.page.goto('/me');
    assert.equal(path(bystander.page), '/login?next=/me');
    await bystander.context.close();
  });

  for (const v of [alice, phone, admin]) {
    await v.context.close();
  }
});

test('error pages are full pages in the site layout', async (t) => {
  const { context, page } = await visitor();
  await seedUsers(['errors_user']);
  await signIn(page, 'errors_user', PASSWORD);

  const cases = [
    ['400', '/users?page=0', 400, /page must be a whole number/i],
    ['403', '/admin', 403, /admins only/],
    ['404', '/no/such/page', 404, /nothing at this address/],
    ['405', '/logout', 405, /Method Not Allowed/],
  ];
  for (const [name, url, status, text] of cases) {
    await t.test(`${status}`, async () => {
      const response = await page.goto(url);
      assert.equal(response.status(), status);
      assert.match(await page.locator('main').innerText(), text);
      assert.ok(await page.locator('header nav').isVisible(), 'in the site layout');
      await inspect(page, `error-${name}`);
    });
  }

  // Bodies a form cannot send: the navigation is rewritten on its way out.
  const rewritten = [
    ['413', { 'Content-Type': 'application/x-www-form-urlencoded' }, `csrf_token=x&display_name=${'x'.repeat(70 * 1024)}`, 413, /larger than 64 KiB/],
    ['415', { 'Content-Type': 'text/plain' }, 'display_name=x', 415, /application\/x-www-form-urlencoded/],
  ];
  for (const [name, headers, postData, status, text] of rewritten) {
    await t.test(`${status}`, async () => {
      await page.route('**/me', (route) => route.continue({ method: 'POST', headers: { ...route.request().headers(), ...headers }, postData }), { times: 1 });
      const response = await page.goto('/me');
      assert.equal(response.status(), status);
      assert.match(await page.locator('main').innerText(), text);
      await inspect(page, `error-${name}`);
    });
  }

  await t.test('429 says when to try again', async () => {
    const stranger = await visitor();
    for (let i = 0; i < 5; i++) {
      await signIn(stranger.page, 'member02', 'wrong-password');
    }
    await signIn(stranger.page, 'member02', PASSWORD);
    assert.match(await stranger.page.locator('main').innerText(), /try again in \d+ seconds/);
    await inspect(stranger.page, 'error-429');
    await stranger.context.close();
  });
  await context.close();
});

test('a bug is a 500 page with the request id, and an outage a 503 page', async (t) => {
  await t.test('500', async () => {
    const { context, page } = await visitor({ baseURL: process.env.KEYCARD_BROKEN_URL });
    await signIn(page, 'broken_user', 'e2e-broken-passphrase');
    assert.equal(path(page), '/me');
    // A navigation of its own (not a reload, which can race the sign-in's redirect).
    const response = await page.goto('/me');
    assert.equal(response.status(), 500);
    const id = response.headers()['x-request-id'];
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(id), 'the page quotes the request id');
    assert.doesNotMatch(text, /revoked_tokens|relation|SELECT/);
    // Every signed-in page of this instance fails the same way, so links are not followed.
    await inspect(page, 'error-500', { followLinks: false });
    await context.close();
  });

  await t.test('503', async () => {
    const { context, page } = await visitor({ baseURL: process.env.KEYCARD_DOWN_URL });
    await signIn(page, 'anyone', PASSWORD);
    assert.match(await page.locator('main').innerText(), /database is unavailable; try again shortly/);
    await inspect(page, 'error-503');
    await context.close();
  });
});

test('everything works with JavaScript turned off', async () => {
  const { context, page } = await visitor({ javaScriptEnabled: false, viewport: { width: 360, height: 740 } });
  await page.goto('/register');
  await page.getByLabel('Username').fill('nojs_visitor');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  assert.equal(path(page), '/me');
  await page.getByLabel('Display name', { exact: true }).fill('No Script');
  await page.getByRole('button', { name: 'Save display name' }).click();
  assert.match(await page.locator('.flash').innerText(), /Display name saved/);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  assert.equal(path(page), '/');
  await context.close();
});

test('a user turns on a second factor, signs in with codes, and an admin resets it', async (t) => {
  await seedUsers(['carol_2fa']);
  const carol = await visitor();
  const { page } = carol;
  let secret;
  let codes;

  await t.test('enrolment: read the key off the page, confirm with a code', async () => {
    await signIn(page, 'carol_2fa', PASSWORD);
    assert.equal(path(page), '/me');
    await page.getByRole('link', { name: 'set up' }).click();
    assert.equal(path(page), '/me/2fa');
    assert.match(await page.locator('main').innerText(), /Off\./);
    await inspect(page, 'two-factor');

    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set up' }).click();
    assert.equal(path(page), '/me/2fa/setup');
    assert.ok(await page.getByRole('img', { name: /QR code/ }).isVisible(), 'a QR code drawn by the server');
    secret = await page.locator('#totp-secret').innerText();
    assert.match(secret, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    await inspect(page, 'two-factor-setup');

    await page.getByLabel('Code', { exact: true }).fill('123');
    await page.getByRole('button', { name: 'Turn on' }).click();
    assert.match(await page.locator('.error-summary').innerText(), /not the current code/);
    assert.equal(await page.locator('#totp-secret').innerText(), secret, 'the same key again');
    await inspect(page, 'two-factor-setup-error');

    await page.getByLabel('Code', { exact: true }).fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    codes = await page.locator('#recovery-codes li').allInnerTexts();
    assert.equal(codes.length, 10);
    assert.match(await page.locator('main').innerText(), /shown only now/);
    await inspect(page, 'recovery-codes');

    await page.getByRole('link', { name: 'I have saved them' }).click();
    assert.match(await page.locator('main').innerText(), /You have 10 unused\s+recovery codes left/);
    await inspect(page, 'two-factor-on');
  });

  await t.test('signing in asks for the code, and a wrong one is refused', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signIn(page, 'carol_2fa', PASSWORD);
    assert.equal(path(page), '/login/2fa?next=/me');
    const field = page.getByLabel('Code from your authenticator app');
    assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await field.getAttribute('inputmode'), 'numeric');
    await inspect(page, 'login-2fa');

    await field.fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.locator('.error-summary').innerText(), /wrong or was already used/);
    await inspect(page, 'login-2fa-error');

    await page.getByLabel('Code from your authenticator app').fill(totp(secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(path(page), '/me');
    await page.goto('/me/sessions');
    assert.match(await page.locator('.session.current').innerText(), /Second factor\s+used at sign-in/);
  });

  await t.test('a recovery code works once and says how many are left', async () => {
    await page.goto('/me');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signIn(page, 'carol_2fa', PASSWORD);
    await page.getByLabel('Code from your authenticator app').fill(codes[0]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(path(page), '/me');
    assert.match(await page.locator('.flash').innerText(), /recovery code; 9 left/);
  });

  await t.test('an admin resets the second factor of a user who lost their phone', async () => {
    const admin = await visitor();
    await signIn(admin.page, ADMIN, ADMIN_PASSWORD);
    await admin.page.goto('/admin?q=carol_2fa');
    assert.match(await admin.page.locator('tbody').innerText(), /carol_2fa[\s\S]*\bon\b/);
    await admin.page.getByRole('link', { name: 'Reset 2FA… of carol_2fa' }).click();
    assert.match(path(admin.page), /^\/admin\?q=carol_2fa&page=1&confirm=2fa-reset&user=\d+$/);
    await inspect(admin.page, 'admin-2fa-reset');
    await admin.page.getByRole('button', { name: 'Yes, reset 2FA of carol_2fa' }).click();
    assert.match(await admin.page.locator('.flash').innerText(), /carol_2fa's two-factor authentication was reset/);
    await page.goto('/me');
    assert.equal(path(page), '/login?next=/me', 'the user was signed out');
    await signIn(page, 'carol_2fa', PASSWORD);
    assert.equal(path(page), '/me', 'and signs in with the password alone');
    await admin.context.close();
  });
  await carol.context.close();
});

test('the second factor works with JavaScript turned off', async () => {
  await seedUsers(['nojs_2fa']);
  const { context, page } = await visitor({ javaScriptEnabled: false, viewport: { width: 360, height: 740 } });
  await signIn(page, 'nojs_2fa', PASSWORD);
  await page.goto('/me/2fa');
  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up' }).click();
  const secret = await page.locator('#totp-secret').innerText();
  await page.getByLabel('Code', { exact: true }).fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  assert.equal(await page.locator('#recovery-codes li').count(), 10);
  await page.goto('/me');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await signIn(page, 'nojs_2fa', PASSWORD);
  await page.getByLabel('Code from your authenticator app').fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(path(page), '/me');
  await context.close();
});


test('an operator reads the audit log, clears a lockout and hands out a reset link', async (t) => {
  await seedUsers(['dave_ops']);
  const stranger = await visitor();
  for (let i = 0; i < 5; i++) {
    await signIn(stranger.page, 'dave_ops', 'not-daves-password');
  }
  await stranger.context.close();
  const admin = await visitor();
  const { page } = admin;
  await signIn(page, ADMIN, ADMIN_PASSWORD);

  await t.test('lockouts: what is refused now, and clearing it', async () => {
    await page.goto('/admin');
    await page.getByRole('link', { name: 'Lockouts' }).click();
    assert.equal(path(page), '/admin/lockouts');
    assert.match(await page.locator('tbody').innerText(), /dave_ops\s+5/);
    await inspect(page, 'lockouts');
    await page.getByRole('button', { name: 'Clear the lock on dave_ops' }).click();
    assert.match(await page.locator('.flash').innerText(), /lock on username dave_ops was cleared/);
    await inspect(page, 'lockouts-cleared');
  });

  await t.test('the audit log, filtered by kind', async () => {
    await page.goto('/admin');
    await page.getByRole('link', { name: 'Audit log' }).click();
    assert.equal(path(page), '/admin/audit');
    assert.match(await page.locator('tbody').innerText(), /lockout cleared/);
    await inspect(page, 'audit');
    await page.getByLabel('Kind').selectOption('sign_in_failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    assert.equal(path(page), '/admin/audit?kind=sign_in_failed&user=&since=&until=');
    assert.match(await page.locator('tbody').innerText(), /dave_ops[\s\S]*count: 5/);
    await inspect(page, 'audit-filtered');
  });

  let link;
  await t.test('a reset link from the admin table', async () => {
    await page.goto('/admin?q=dave_ops');
    await page.getByRole('button', { name: 'Reset link for dave_ops' }).click();
    link = await page.locator('#reset-link').innerText();
    // No server.public_url here: the link is the path, on this site.
    assert.match(link, /^\/reset\/[A-Za-z0-9_-]{43}$/);
    await inspect(page, 'reset-link');
  });

  await t.test('the link sets a new password once; the activity page tells the story', async () => {
    const dave = await visitor();
    await dave.page.goto(link);
    assert.match(await dave.page.locator('main').innerText(), /For dave_ops/);
    await inspect(dave.page, 'reset-password');
    await dave.page.getByLabel('New password').fill('dave_ops');
    await dave.page.getByRole('button', { name: 'Set the new password' }).click();
    assert.match(await dave.page.locator('.error-summary').innerText(), /New password/);
    await inspect(dave.page, 'reset-password-error');
    await dave.page.getByLabel('New password').fill('daves-brand-new-passphrase');
    await dave.page.getByRole('button', { name: 'Set the new password' }).click();
    assert.equal(path(dave.page), '/login');
    assert.match(await dave.page.locator('.flash').innerText(), /Your password was changed/);
    const reused = await dave.page.goto(link);
    assert.equal(reused.status(), 404, 'a link works once');

    await signIn(dave.page, 'dave_ops', 'daves-brand-new-passphrase');
    assert.equal(path(dave.page), '/me');
    await dave.page.getByRole('link', { name: 'Your security activity' }).click();
    assert.equal(path(dave.page), '/me/activity');
    const text = await dave.page.locator('.activity').innerText();
    assert.match(text, /Signed in from/);
    assert.match(text, /Password reset with a link/);
    assert.match(text, /5 failed sign-ins/);
    await inspect(dave.page, 'activity');
    await dave.context.close();
  });
  await admin.context.close();
});
