/**
 * TESTPLAN 25 for the egress module, on real sockets: what the default policy refuses (every
 * spelling of loopback, private, link-local, metadata and unspecified addresses, names that
 * resolve to them, redirects to them, other schemes), that a refused address is never connected
 * to (the receiver on 127.0.0.1 sees nothing), that the address checked is the address connected
 * (a name whose answer changes between the check and the connect is refused), and that
 * configuration allows exactly what it names. Every address but loopback is refused before any
 * connection is tried, so nothing leaves the machine.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EgressClient, EgressPolicy, EgressRefusedError, type Resolver } from '../src/egress/index.ts';
import { WebhookReceiver } from './helpers/webhook-receiver.ts';

const REFUSED_ADDRESSES = [
  '127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::7f00:1', '::7f00:1',
  '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', 'fc00::1', 'fd12:3456::1',
  '169.254.169.254', 'fd00:ec2::254', '169.254.1.1', 'fe80::1', 'fe80::1%eth0',
  '0.0.0.0', '::', '100.64.0.1', '224.0.0.1', '255.255.255.255', '192.0.2.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
];

/** A resolver for made-up names; anything else is unknown (no DNS in tests). */
function fakeDns(table: Record<string, string[]>): Resolver {
  return async (host) => {
    const a = table[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('egress policy', () => {
  it('refuses loopback, private, link-local, metadata, unspecified and other special addresses in every spelling', () => {
    const p = new EgressPolicy();
    for (const a of REFUSED_ADDRESSES) assert.ok(p.refusal(a), `${a} should be refused`);
    assert.match(p.refusal('169.254.169.254') ?? '', /metadata/);
    assert.match(p.refusal('::ffff:127.0.0.1') ?? '', /loopback/);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) assert.equal(p.refusal(a), null, `${a} is public`);
  });

  it('refuses decimal, octal and hex spellings of loopback and non-http schemes by the URL alone', () => {
    const p = new EgressPolicy();
    for (const u of ['http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f.1/', 'http://127.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0:80/', 'http://169.254.169.254/latest/meta-data/']) {
      assert.throws(() => p.checkUrl(new URL(u)), EgressRefusedError, u);
    }
    for (const u of ['file:///etc/passwd', 'ftp://example.com/', 'gopher://x/']) assert.throws(() => p.checkUrl(new URL(u)), /scheme/, u);
    assert.doesNotThrow(() => p.checkUrl(new URL('https://hooks.example.com/x')));
  });

  it('allows exactly the addresses, CIDRs and hosts configuration names', () => {
    const p = EgressPolicy.parse('127.0.0.1, 10.0.0.0/8 ,*.internal,hooks.lan');
    assert.equal(p.refusal('127.0.0.1'), null);
    assert.equal(p.refusal('::ffff:127.0.0.1'), null, 'the mapped form of an allowed address');
    assert.equal(p.refusal('10.200.0.9'), null);
    assert.ok(p.refusal('127.0.0.2'));
    assert.ok(p.refusal('::1'));
    assert.ok(p.refusal('192.168.0.1'));
    assert.ok(p.allowsHost('a.b.internal') && p.allowsHost('HOOKS.LAN') && !p.allowsHost('internal.evil') && !p.allowsHost('hooks.lan.evil'));
    assert.throws(() => EgressPolicy.parse('10.0.0.0/99'), /CIDR/);
    assert.throws(() => EgressPolicy.parse('hooks lan'), /not an address/);
  });
});

describe('egress client on real sockets', () => {
  let receiver: WebhookReceiver;
  let base: string;
  const clients: EgressClient[] = [];
  const client = (allow: string[] = [], dns: Record<string, string[]> = {}) => {
    const c = new EgressClient({ policy: new EgressPolicy(allow), resolve: Object.keys(dns).length ? fakeDns(dns) : undefined });
    clients.push(c);
    return c;
  };
  const post = (c: EgressClient, url: string, timeoutMs = 5_000) => c.request({ url, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs });

  before(async () => {
    receiver = new WebhookReceiver();
    base = await receiver.listen();
  });
  after(async () => {
    for (const c of clients) c.close();
    await receiver.close();
  });

  it('with the default policy, no spelling of the loopback receiver is connected to', async () => {
    const c = client();
    const port = receiver.port;
    const urls = [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://2130706433:${port}/`, `http://0.0.0.0:${port}/`];
    for (const u of urls) {
      await assert.rejects(post(c, u), (err: Error) => err instanceof EgressRefusedError && /loopback|unspecified/.test(err.message), u);
      await assert.rejects(c.check(u), EgressRefusedError, `check ${u}`);
    }
    for (const u of ['http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://[fd00:ec2::254]/']) {
      await assert.rejects(post(c, u), EgressRefusedError, u);
    }
    assert.equal(receiver.requests.length, 0, 'the receiver saw nothing');
  });

  it('refuses a name that resolves to loopback, and one whose answer turns to loopback between the check and the connect', async () => {
    const c = client([], { 'loop.test': ['127.0.0.1'], 'mixed.test': ['::1', '127.0.0.1'] });
    await assert.rejects(post(c, `http://loop.test:${receiver.port}/`), /loop\.test resolves only to refused addresses: 127\.0\.0\.1 is a loopback address/);
    await assert.rejects(c.check(`http://mixed.test:${receiver.port}/`), EgressRefusedError);
    // DNS rebinding: a public answer when checked, loopback when connected.
    let calls = 0;
    const rebinding = new EgressClient({ policy: new EgressPolicy(), resolve: async () => [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }] });
    clients.push(rebinding);
    await rebinding.check(`http://rebind.test:${receiver.port}/`);
    await assert.rejects(post(rebinding, `http://rebind.test:${receiver.port}/`), /loopback/);
    assert.equal(receiver.requests.length, 0);
  });

  it('reaches the receiver once configuration allows its address, or its name', async () => {
    const byAddress = await post(client(['127.0.0.1']), `${base}/a`);
    assert.equal(byAddress.status, 200);
    assert.equal(byAddress.remoteAddress, '127.0.0.1');
    const byName = await post(client(['127.0.0.1'], { 'hooks.lan': ['127.0.0.1'] }), `http://hooks.lan:${receiver.port}/b`);
    assert.equal(byName.status, 200, 'a DNS name resolving to loopback, allowed by an address entry');
    const named = await post(new EgressClient({ policy: new EgressPolicy(['hooks.lan']), resolve: fakeDns({ 'hooks.lan': ['127.0.0.1'] }) }), `http://hooks.lan:${receiver.port}/c`);
    assert.equal(named.status, 200, 'a host entry trusts what the name resolves to');
    assert.deepEqual(receiver.requests.map((r) => r.path), ['/a', '/b', '/c']);
    receiver.requests.length = 0;
  });

  it('follows a redirect between allowed addresses, and refuses one to a refused address without connecting', async () => {
    const c = client(['127.0.0.1']);
    receiver.respond = (r) => (r.path === '/hop' ? { status: 307, headers: { location: '/landed' } } : r.path.startsWith('/to/') ? { status: 302, headers: { location: decodeURIComponent(r.path.slice(4)) } } : { status: 200 });
    const followed = await post(c, `${base}/hop`);
    assert.equal(followed.status, 200);
    assert.equal(new URL(followed.url).pathname, '/landed');
    assert.deepEqual(receiver.requests.map((r) => [r.method, r.path]), [['POST', '/hop'], ['POST', '/landed']], '307 keeps the method');
    for (const target of [`http://[::1]:${receiver.port}/x`, `http://127.0.0.2:${receiver.port}/x`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', 'file:///etc/passwd']) {
      receiver.requests.length = 0;
      await assert.rejects(post(c, `${base}/to/${encodeURIComponent(target)}`), EgressRefusedError, target);
      assert.deepEqual(receiver.requests.map((r) => r.path), [`/to/${encodeURIComponent(target)}`], `only the first hop reached a socket (${target})`);
    }
    receiver.respond = () => ({ status: 200 });
    receiver.requests.length = 0;
  });

  it('ends a request the receiver never answers at its timeout', async () => {
    receiver.respond = () => ({ status: 200, hang: true });
    await assert.rejects(post(client(['127.0.0.1']), `${base}/hang`, 200), /timed out after 200 ms/);
    receiver.respond = () => ({ status: 200 });
  });
});
