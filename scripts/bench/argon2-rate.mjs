// Raw Argon2id verify rate with the server's parameters (m=19456 KiB, t=2, p=1), measured with
// @node-rs/argon2 `verify` in its own process: BENCH_CONCURRENCY verifications in flight at all
// times for BENCH_DURATION_MS. Prints one JSON line: { rate, p50, p99, count, peakRssMb, cpuSeconds, cpuUsPerVerify, elapsedSeconds }.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { hash, verify } = createRequire(path.join(root, 'packages/server/package.json'))('@node-rs/argon2');

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 1_000);
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

const password = `bench-${Math.random().toString(36).slice(2)}-password`;
const stored = await hash(password, OPTIONS);
if (!stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')) throw new Error(`unexpected hash parameters: ${stored.slice(0, 32)}`);

async function phase(ms, record) {
  const end = performance.now() + ms;
  const latencies = [];
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const ok = await verify(stored, password);
      if (!ok) throw new Error('argon2 verify returned false');
      if (record) latencies.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, elapsedMs: performance.now() - t0 };
}

function peakRssMb() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

await phase(warmupMs, false);
const measuredFrom = process.cpuUsage();
const { latencies, elapsedMs } = await phase(durationMs, true);
const cpu = process.cpuUsage(); // since start: the parent counts all of it as ours
const measuredCpu = process.cpuUsage(measuredFrom);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
process.stdout.write(
  `${JSON.stringify({ rate: (latencies.length * 1000) / elapsedMs, p50: pct(50), p99: pct(99), count: latencies.length, concurrency, peakRssMb: peakRssMb(), cpuSeconds: (cpu.user + cpu.system) / 1e6, cpuUsPerVerify: (measuredCpu.user + measuredCpu.system) / latencies.length, elapsedSeconds: elapsedMs / 1000 })}\n`,
);
