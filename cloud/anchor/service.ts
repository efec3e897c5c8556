/**
 * Relay anchoring, assembled: key → chain → batcher, engine, proofs → scheduler, on the anchoring
 * store of the relay's one database (cloud/store/database.ts), which the builder opens and closes.
 * Built by cloud/main.ts when anchor.enabled. The node being unreachable never fails start():
 * ingest goes on and anchoring catches up (errors in anchor_errors); a missing or invalid key or
 * config does.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import type { ProofDocument } from '../../protocols/anchor/index.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { AnchorBatch, AnchorErrorRow, AnchorStore, AnchorTx } from '../store/anchor-types.ts';
import { Batcher } from './batcher.ts';
import { Chain } from './chain.ts';
import type { AnchorConfig } from './config.ts';
import { AnchorEngine, type TickReport } from './engine.ts';
import { ATALAYA_ANCHOR_DISABLED, anchorError } from './errors.ts';
import { loadAnchorKey } from './key.ts';
import { ProofService } from './proofs.ts';
import { AnchorScheduler } from './scheduler.ts';

export interface AnchorServiceDeps {
  readonly config: AnchorConfig;
  /** The anchoring store of the relay's database, started; its owner stops it. */
  readonly store: AnchorStore;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** false: cuts and ticks only when called (tests, CLI); default true. */
  readonly schedule?: boolean;
}

interface Running {
  readonly store: AnchorStore;
  readonly chain: Chain;
  readonly engine: AnchorEngine;
  readonly batcher: Batcher;
  readonly proofs: ProofService;
  readonly scheduler: AnchorScheduler | undefined;
}

export class AnchorService {
  private running: Running | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: AnchorServiceDeps) {
    this.log = deps.logger.child({ component: 'anchor' });
  }

  async start(): Promise<void> {
    if (this.running !== undefined) return;
    const { config, clock, logger } = this.deps;
    if (!config.enabled || config.rpcUrl === undefined || config.chainId === undefined || config.contract === undefined) {
      throw anchorError(ATALAYA_ANCHOR_DISABLED, 'anchoring is not enabled (anchor.enabled, rpcUrl, chainId, contract in relay.yaml)');
    }
    const key = loadAnchorKey(config.keyFile, this.deps.env);
    if (key.looselyPermitted) this.log.warn({ keyFile: key.source }, 'anchor key file is readable by group or others: chmod 600 it');
    const { store } = this.deps;
    const chain = new Chain(config.rpcUrl, config.chainId, config.rpcTimeoutMs);
    const full = { ...config, chainId: config.chainId, contract: config.contract };
    const engine = new AnchorEngine({ config: full, store, chain, wallet: key.wallet, clock, logger, instance: `${os.hostname()}:${process.pid}` });
    const batcher = new Batcher({ store, clock, logger });
    const proofs = new ProofService({ store, chainId: config.chainId, contract: config.contract, confirmations: config.confirmations });
    try {
      await batcher.resume();
    } catch (err) {
      chain.destroy();
      throw err;
    }
    const scheduler =
      this.deps.schedule === false
        ? undefined
        : new AnchorScheduler({
            schedule: config.schedule,
            timezone: config.timezone,
            pollMs: config.pollMs,
            cut: async () => ((await engine.leads()) ? this.cut() : undefined),
            tick: () => engine.tick(),
            logger,
          });
    this.running = { store, chain, engine, batcher, proofs, scheduler };
    scheduler?.start();
    this.log.info({ sender: key.address, keySource: key.source, chainId: config.chainId, contract: config.contract }, 'anchoring started');
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = undefined;
    if (r === undefined) return;
    await r.scheduler?.stop();
    await r.engine.idle();
    r.chain.destroy();
  }

  /** Closes the current period now: every unclaimed record received so far. */
  cut(): Promise<AnchorBatch | undefined> {
    return this.get().batcher.cut(this.deps.clock.now());
  }

  /** Anchors what was received in [from, to) and is in no batch yet (manual mode: a given day). */
  cutRange(from: number, to: number): Promise<AnchorBatch | undefined> {
    return this.get().batcher.cut(to, from);
  }

  tick(): Promise<TickReport> {
    return this.get().engine.tick();
  }

  proof(gateway: string, seq: number): Promise<ProofDocument> {
    return this.get().proofs.proof(gateway, seq);
  }

  batches(query: { limit: number; before?: number }): Promise<AnchorBatch[]> {
    return this.get().store.listBatches(query);
  }

  async batch(id: number): Promise<{ batch: AnchorBatch; txs: AnchorTx[] } | undefined> {
    const store = this.get().store;
    const batch = await store.getBatch(id);
    if (batch === undefined) return undefined;
    return { batch, txs: await store.txsOfBatch(id) };
  }

  errors(limit: number): Promise<AnchorErrorRow[]> {
    return this.get().store.errors(limit);
  }

  get sender(): string {
    return this.get().engine.sender;
  }

  get store(): AnchorStore {
    return this.get().store;
  }

  get chain(): Chain {
    return this.get().chain;
  }

  private get(): Running {
    if (this.running === undefined) throw anchorError(ATALAYA_ANCHOR_DISABLED, 'anchoring is not running');
    return this.running;
  }
}
