import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoOrder, createSession, probeDevice, probeModelBytes, ProviderUnavailableError, staticAvailability, loadOrt } from '../../../src/core/model/providers';

const runProbe = async (session: { run(f: unknown): Promise<Record<string, { data: Float32Array }>> }) => {
  const ort = loadOrt();
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) });
  return Array.from(out.y.data);
};

test('cpu provider runs the probe model', async () => {
  const r = await createSession(probeModelBytes(), 'cpu');
  assert.equal(r.provider, 'cpu');
  assert.deepEqual(await runProbe(r.session), [2, 4, 6]);
  await r.session.release();
});

test('webgpu requested: runs on webgpu when an adapter exists, else falls back to cpu with a reason', async () => {
  const logs: string[] = [];
  const r = await createSession(probeModelBytes(), 'webgpu', { log: (m) => logs.push(m) });
  const probe = await probeDevice('webgpu');
  if (probe.available) {
    assert.equal(r.provider, 'webgpu');
  } else {
    assert.equal(r.provider, 'cpu');
    const w = r.attempts.find((a) => a.device === 'webgpu');
    assert.ok(w && !w.ok && w.reason.length > 0, `webgpu attempt recorded with a reason: ${JSON.stringify(r.attempts)}`);
    assert.ok(logs.some((l) => l.includes('webgpu')), 'the fallback is logged');
    assert.ok(logs.some((l) => /provider cpu selected/.test(l)));
  }
  // The session after a failed webgpu attempt is fully usable.
  assert.deepEqual(await runProbe(r.session), [2, 4, 6]);
  await r.session.release();
});

test('explicit unavailable device: fallback with reason, or ProviderUnavailableError when strict', async () => {
  const impossible = process.platform === 'win32' ? 'coreml' : 'dml';
  const stat = staticAvailability(impossible);
  assert.equal(stat.possible, false);
  assert.match(stat.reason, /only on/);
  const r = await createSession(probeModelBytes(), impossible);
  assert.equal(r.provider, 'cpu');
  assert.deepEqual(r.attempts.map((a) => [a.device, a.ok]), [[impossible, false], ['cpu', true]]);
  await r.session.release();
  await assert.rejects(createSession(probeModelBytes(), impossible, { strict: true }), (e: unknown) => {
    assert.ok(e instanceof ProviderUnavailableError);
    assert.equal(e.device, impossible);
    assert.match(e.message, /unavailable/);
    return true;
  });
});

test('auto tries the platform order, explains every skipped provider and ends on a working one', async () => {
  const order = autoOrder();
  assert.equal(order[order.length - 1], 'cpu');
  if (process.platform === 'linux') assert.deepEqual(order, ['cuda', 'webgpu', 'cpu']);
  const r = await createSession(probeModelBytes(), 'auto');
  const last = r.attempts[r.attempts.length - 1];
  assert.equal(last.ok, true);
  assert.equal(last.device, r.provider);
  for (const a of r.attempts.slice(0, -1)) assert.ok(!a.ok && a.reason, `skipped ${a.device} has a reason`);
  const cuda = staticAvailability('cuda');
  if (!cuda.possible) assert.ok(r.attempts.some((a) => a.device === 'cuda' && /CUDA|cuda/.test(a.reason)));
  await r.session.release();
});
