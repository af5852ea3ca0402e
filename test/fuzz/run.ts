// `npm run fuzz`: a longer fuzz run of the MIME walk and the TNEF reader than the suite's.
// FUZZ_COUNT inputs each (default 20,000), from FUZZ_SEED (default: the time), each within
// FUZZ_BUDGET_MS (default 5,000). Prints what it ran; exits 1 on the first failure.
import { fuzzMime, fuzzTnef } from './fuzzing.js';

const count = Number(process.env.FUZZ_COUNT ?? 20_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const budgetMs = Number(process.env.FUZZ_BUDGET_MS ?? 5000);
try {
  for (const [name, run] of [['MIME walk', fuzzMime], ['TNEF reader', fuzzTnef]] as const) {
    const started = Date.now();
    const report = await run(count, seed, budgetMs);
    process.stdout.write(`${name}: ${report.runs} inputs from seed ${seed}, ${report.refused} refused as undecodable, slowest ${report.slowestMs} ms, ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
