// Mocha entry point loaded by the extension host (extensionTestsPath). Loads every sibling *.test.js bundle and
// writes pass/fail counts to $BACKMAP_TEST_RESULTS for the runner's summary.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120000, color: false, reporter: 'spec' });
  if (process.env.MOCHA_GREP) mocha.grep(process.env.MOCHA_GREP);
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  const results = { passed: 0, failed: 0, pending: 0, failures: [] as { title: string; error: string }[] };
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (process.env.BACKMAP_TEST_RESULTS) fs.writeFileSync(process.env.BACKMAP_TEST_RESULTS, JSON.stringify(results, null, 2));
      if (failures) reject(new Error(`${failures} tests failed.`));
      else resolve();
    });
    runner.on('pass', () => results.passed++);
    runner.on('pending', () => results.pending++);
    runner.on('fail', (t, err) => {
      results.failed++;
      results.failures.push({ title: t.fullTitle(), error: String((err as Error)?.stack ?? err).split('\n').slice(0, 6).join('\n') });
    });
  });
}
