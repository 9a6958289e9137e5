/**
 * The orchestrators' ends (bench/fanout.ts, bench/visibility.ts, bench/durability.ts,
 * bench/peers.ts): writing the report to bench/results/, and running `main` to an exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** bench/results/, as a path ending in a slash. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Prints a report to stdout, writes it to bench/results/<file> and logs where. */
export function writeReport(file: string, text: string, log: (msg: string) => void): void {
  process.stdout.write(text);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${file}`, text);
  log(`written to ${RESULTS_DIR}${file}`);
}

/** Runs an orchestrator's main: exit code 0 when it resolves, 1 (its stack logged) when it throws. */
export function runMain(main: () => Promise<void>, log: (msg: string) => void): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      log(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
