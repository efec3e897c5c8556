import type { Statement } from 'better-sqlite3';

export interface NameStatements {
  readonly insertName: Statement<[string]>;
  readonly names: Statement<[]>;
}

/**
 * Interned strings (device, channel, unit, boot id, alarm rule) ↔ ids. Names added during a commit
 * are tentative until the transaction commits: a rolled-back commit must not leave ids in the
 * cache that the file does not have.
 */
export class NameTable {
  private readonly ids = new Map<string, number>();
  private readonly byId: string[] = [];
  private tentative: string[] = [];

  constructor(private readonly statements: NameStatements) {}

  load(): void {
    this.ids.clear();
    this.byId.length = 0;
    for (const [id, name] of this.statements.names.all() as [number, string][]) {
      this.ids.set(name, id);
      this.byId[id] = name;
    }
  }

  /** Inside a write transaction only. */
  id(name: string): number {
    const id = this.ids.get(name);
    return id === undefined ? this.add(name) : id;
  }

  name(id: number): string {
    const name = this.byId[id];
    if (name !== undefined) return name;
    this.load();
    // Only a damaged file gets here; a visible placeholder beats failing every read after it.
    return this.byId[id] ?? `#${id}`;
  }

  commit(): void {
    this.tentative = [];
  }

  rollback(): void {
    for (const name of this.tentative) {
      const id = this.ids.get(name);
      this.ids.delete(name);
      if (id !== undefined) delete this.byId[id];
    }
    this.tentative = [];
  }

  private add(name: string): number {
    const id = Number(this.statements.insertName.run(name).lastInsertRowid);
    this.ids.set(name, id);
    this.byId[id] = name;
    this.tentative.push(name);
    return id;
  }
}
