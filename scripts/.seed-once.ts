import { openBenchDatabase } from '/work/main/scripts/bench-db';
const b = await openBenchDatabase({ customers: 1_000_000 });
await b.stop();
