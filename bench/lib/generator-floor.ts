/**
 * The mutation generator alone: bench/lib/load.ts's Load at `rate` mutations per second with a
 * mutation that does nothing, measured like a server's window (`<rate> <warmupMs> <seconds>`). Its
 * CPU per mutation is a floor under every fan-out server's figure: on this VM, a 1 ms timer that
 * wakes the process 1,000 times a second costs tens of µs per wake-up whatever the server does.
 * Prints one JSON line: { cpuUsPerMutation, systemUsPerMutation, mutations }.
 */
import { Load } from './load.js';

const [rate = 1000, warmupMs = 1000, seconds = 5] = process.argv.slice(2).map(Number);
const load = new Load(rate, () => undefined);
load.start();
await new Promise((resolve) => setTimeout(resolve, warmupMs));
load.mark();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const window = load.stop();
process.stdout.write(`${JSON.stringify({ cpuUsPerMutation: window.cpuUs / window.mutations, systemUsPerMutation: (window.cpuSystemUs ?? 0) / window.mutations, mutations: window.mutations })}\n`);
