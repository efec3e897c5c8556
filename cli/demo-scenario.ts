import type { Agent } from '../agent/main.ts';
import type { ModbusSimulator } from '../simulators/modbus/simulator.ts';
import type { FaultProxy } from '../simulators/net/fault-proxy.ts';

/** What the timeline acts on: the Modbus/TCP units of the gas detector and the flowmeter, the uplink. */
export interface ScenarioParts {
  readonly sim: ModbusSimulator;
  readonly gasUnit: number;
  readonly flowUnit: number;
  readonly link: Pick<FaultProxy, 'setMode'>;
  readonly agent: Agent;
  readonly out: { write(s: string): unknown };
}

interface Step {
  /** Seconds after the start, at speed 1. */
  readonly atS: number;
  readonly say: string;
  run(parts: ScenarioParts): void;
  /** Report when the records that waited during the outage have reached the relay. */
  readonly reportDrain?: boolean;
}

const OUTAGE_S = 20;

/**
 * The story the demo tells, once, then the bench stays steady. Times are real seconds at speed 1;
 * --scenario-speed divides them (and speeds the Modbus/TCP simulator's physics by as much).
 */
const STEPS: readonly Step[] = [
  {
    atS: 20,
    say: 'gas leak at gas-tcp: CH4 climbs to 30 %LEL over a minute; warning at 10 %LEL, alarm at 20 %LEL (latched: acknowledge it on the status page)',
    run: (p) => p.sim.setScenario(p.gasUnit, 'gas-leak'),
  },
  {
    atS: 50,
    say: 'flow steps at flow-tcp: 0 → 12.5 → 30 → 5 → 0 L/s over two minutes; the totalizer integrates',
    run: (p) => p.sim.setScenario(p.flowUnit, 'flow-steps'),
  },
  {
    atS: 80,
    say: `network outage: the link agent → relay is cut for ${OUTAGE_S} s; readings wait in the agent's buffer`,
    run: (p) => p.link.setMode('cut'),
  },
  {
    atS: 80 + OUTAGE_S,
    say: 'network back: the buffer drains to the relay',
    run: (p) => p.link.setMode('pass'),
    reportDrain: true,
  },
  {
    atS: 200,
    say: 'scenario over: gas and flow back to steady (Ctrl-C to stop)',
    run: (p) => {
      p.sim.setScenario(p.gasUnit, 'steady');
      p.sim.setScenario(p.flowUnit, 'steady');
    },
  },
];

/** Plays STEPS on timers, printing each as it happens, and tells when the outage's backlog has been delivered. */
export class DemoScenario {
  private readonly timers: NodeJS.Timeout[] = [];
  private watch: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(
    private readonly parts: ScenarioParts,
    private readonly speed: number,
  ) {}

  start(): void {
    this.startedAt = performance.now();
    for (const step of STEPS) {
      this.timers.push(setTimeout(() => this.play(step), (step.atS * 1000) / this.speed));
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
    clearInterval(this.watch);
    this.watch = undefined;
  }

  private play(step: Step): void {
    this.say(step.say);
    try {
      step.run(this.parts);
    } catch (err) {
      this.say(`step failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (step.reportDrain === true) this.watchDrain();
  }

  /** The records waiting at the reconnect are delivered once as many more have been acknowledged. */
  private watchDrain(): void {
    const sync = this.parts.agent.sync;
    if (sync === undefined) return;
    const at = sync.status();
    const backlog = at.lagRecords;
    const since = performance.now();
    this.say(`backlog: ${backlog} records in the agent's buffer`);
    this.watch = setInterval(() => {
      const now = sync.status();
      if (now.sentRecords - at.sentRecords < backlog) return;
      clearInterval(this.watch);
      this.watch = undefined;
      this.say(
        `backlog delivered: the relay acknowledged the ${backlog} waiting records (and what came since) in ${((performance.now() - since) / 1000).toFixed(1)} s`,
      );
    }, 250);
  }

  private say(text: string): void {
    const t = (performance.now() - this.startedAt) / 1000;
    this.parts.out.write(`[scenario t+${t.toFixed(0)}s] ${text}\n`);
  }
}
