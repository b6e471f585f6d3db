// A vitest reporter for scripts/test: per pass (vitest project = database dialect) the files and
// tests that ran, passed and failed, and each file's duration and CPU, written as JSON to the path given
// as `outputFile` or in ACCT_TEST_SUMMARY (scripts/test prints the totals from it).
import fs from 'node:fs';
import path from 'node:path';

export default class SummaryReporter {
  constructor(options = {}) {
    this.outputFile = options.outputFile ?? process.env['ACCT_TEST_SUMMARY'] ?? '.test-results/summary.json';
    this.started = Date.now();
  }

  onTestRunEnd(testModules, unhandledErrors) {
    const passes = {};
    for (const mod of testModules) {
      const name = mod.project.name || 'default';
      const pass = (passes[name] ??= { files: 0, tests: 0, passed: 0, failed: 0, skipped: 0, brokenFiles: [], durations: {}, cpu: {} });
      pass.files += 1;
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        pass.tests += 1;
        const state = test.result().state;
        if (state === 'passed') pass.passed += 1;
        else if (state === 'failed') (pass.failed += 1), (failedHere += 1);
        else pass.skipped += 1;
      }
      // A file that fails before any test fails (import error, hook failure) counts as one failure.
      if (mod.state() === 'failed' && failedHere === 0) pass.brokenFiles.push(mod.relativeModuleId);
      pass.durations[mod.relativeModuleId] = Math.round(mod.diagnostic().duration);
      // CPU of the file and of the processes it started (scripts/test-file-cpu.mjs), where known.
      const cpuMs = mod.meta().cpuMs;
      if (typeof cpuMs === 'number') pass.cpu[mod.relativeModuleId] = cpuMs;
    }
    const summary = { wallMs: Date.now() - this.started, unhandledErrors: unhandledErrors.length, passes };
    fs.mkdirSync(path.dirname(this.outputFile), { recursive: true });
    fs.writeFileSync(this.outputFile, `${JSON.stringify(summary, null, 2)}\n`);
  }
}
