/**
 * The AT command set of a cellular modem, as far as sending an SMS in text mode needs it
 * (3GPP TS 27.007 for AT+CPIN/CSQ/CREG/CSCS, TS 27.005 §3.5.1 for AT+CMGS, §3.2.5 for +CMS ERROR).
 * Bytes in, bytes out: no port, no timers of its own beyond the injected `later` (slow answers),
 * so it is tested byte for byte. docs/modem.md describes the dialogue.
 */

export interface ModemFaults {
  /** AT+CSQ answers 99,99 and AT+CREG? 0,0 (not registered): nothing can be sent. */
  noSignal?: boolean;
  /** The SIM waits for its PIN (AT+CPIN? answers SIM PIN) until AT+CPIN="<pin>" gives it. */
  simPin?: string;
  /** AT+CMGS ends in `+CMS ERROR: <n>` instead of `+CMGS:` (500 unknown error, 38 network out of order). */
  cmsError?: number;
  /** Every final answer is delayed by this much, ms. */
  slowMs?: number;
  /** Answers nothing at all (a hung modem), commands are still read. */
  drop?: boolean;
}

export interface SentSms {
  readonly number: string;
  readonly text: string;
  /** Message reference, 0..255, as +CMGS reports it. */
  readonly mr: number;
  readonly at: number;
}

export interface AtEngineOptions {
  /** Bytes to the terminal (the agent). */
  readonly write: (bytes: Buffer) => void;
  /** Called for every SMS "sent". */
  readonly onSms?: (sms: SentSms) => void;
  /** Runs fn after ms; the simulator passes setTimeout, tests may run it at once. */
  readonly later?: (fn: () => void, ms: number) => void;
  readonly now?: () => number;
  readonly faults?: ModemFaults;
}

const CR = 0x0d;
const LF = 0x0a;
const CTRL_Z = 0x1a;
const ESC = 0x1b;
/** Longest text accepted after the `> ` prompt: 160 GSM-7 characters, with room for escapes. */
const MAX_TEXT = 320;

export class AtEngine {
  private f: ModemFaults;
  private echo = true;
  private textMode = false;
  private pinGiven = false;
  private line: number[] = [];
  /** Set between `AT+CMGS="<number>"` and Ctrl-Z/ESC: the text being typed. */
  private composing: { number: string; text: number[] } | undefined;
  private mr = 0;

  constructor(private readonly o: AtEngineOptions) {
    this.f = { ...o.faults };
  }

  get faults(): ModemFaults {
    return this.f;
  }

  /** New faults; a SIM PIN among them must be given again (a SIM swapped in). */
  set faults(faults: ModemFaults) {
    this.f = { ...faults };
    this.pinGiven = false;
  }

  feed(bytes: Buffer): void {
    for (const b of bytes) this.byte(b);
  }

  private byte(b: number): void {
    if (this.composing !== undefined) {
      const c = this.composing;
      if (this.echo) this.o.write(Buffer.from([b]));
      if (b === CTRL_Z) {
        this.composing = undefined;
        this.submit(c.number, Buffer.from(c.text).toString('latin1'));
      } else if (b === ESC) {
        // §3.5.1: ESC quits without sending; the modem answers OK.
        this.composing = undefined;
        this.final(['OK']);
      } else if (c.text.length < MAX_TEXT) {
        c.text.push(b);
      }
      return;
    }
    if (b === LF) return;
    if (b !== CR) {
      if (this.line.length < 512) this.line.push(b);
      return;
    }
    const raw = Buffer.from(this.line).toString('latin1');
    this.line = [];
    // V.250 §5.2.1: a command line starts with AT (either case); anything else is ignored.
    if (!/^at/i.test(raw)) return;
    if (this.echo) this.o.write(Buffer.from(`${raw}\r`, 'latin1'));
    this.command(raw.slice(2));
  }

  private command(cmd: string): void {
    const lines = this.answer(cmd);
    if (lines !== null) this.final(lines);
  }

  /** The final answer to a command line, or null when the answer is the `> ` prompt (AT+CMGS). */
  private answer(cmd: string): readonly string[] | null {
    const upper = cmd.toUpperCase();
    const f = this.f;
    const simReady = f.simPin === undefined || this.pinGiven;
    if (upper === '') return ['OK'];
    if (upper === 'E0' || upper === 'E1') {
      this.echo = upper === 'E1';
      return ['OK'];
    }
    if (upper === 'Z') return ['OK'];
    if (upper === '+CPIN?') return [simReady ? '+CPIN: READY' : '+CPIN: SIM PIN', 'OK'];
    const pin = /^\+CPIN="?(\d{4,8})"?$/.exec(upper);
    if (pin !== null) {
      if (f.simPin !== undefined && pin[1] !== f.simPin) return ['+CME ERROR: 16'];
      this.pinGiven = true;
      return ['OK'];
    }
    if (!simReady && (upper.startsWith('+CMGS') || upper.startsWith('+CSQ') || upper.startsWith('+CREG'))) return ['+CME ERROR: 11'];
    if (upper === '+CSQ') return [f.noSignal === true ? '+CSQ: 99,99' : '+CSQ: 18,0', 'OK'];
    if (upper === '+CREG?') return [f.noSignal === true ? '+CREG: 0,0' : '+CREG: 0,1', 'OK'];
    if (upper === '+CMGF=1' || upper === '+CMGF=0') {
      this.textMode = upper === '+CMGF=1';
      return ['OK'];
    }
    if (upper === '+CMGF?') return [`+CMGF: ${this.textMode ? 1 : 0}`, 'OK'];
    if (/^\+CSCS="(GSM|IRA)"$/.test(upper)) return ['OK'];
    if (/^\+CSCA="\+?\d{3,20}"(,\d+)?$/.test(upper)) return ['OK'];
    const cmgs = /^\+CMGS="(\+?\d{3,20})"(?:,\d+)?$/.exec(upper);
    if (cmgs !== null) {
      // §3.5.1: in PDU mode the parameter is a length, so a quoted number is an error there.
      if (!this.textMode) return ['+CMS ERROR: 302'];
      this.composing = { number: cmgs[1]!, text: [] };
      // The prompt is not a final result: it comes at once, whatever slowMs says.
      if (f.drop !== true) this.o.write(Buffer.from('\r\n> ', 'latin1'));
      return null;
    }
    return ['ERROR'];
  }

  private submit(number: string, text: string): void {
    const f = this.f;
    if (f.noSignal === true || f.cmsError !== undefined) {
      this.final([`+CMS ERROR: ${f.noSignal === true ? 331 : f.cmsError}`]);
      return;
    }
    const mr = this.mr;
    this.mr = (this.mr + 1) % 256;
    this.final([`+CMGS: ${mr}`, 'OK'], () => this.o.onSms?.({ number, text, mr, at: this.o.now?.() ?? Date.now() }));
  }

  /** Verbose result codes (ATV1): each line framed by CR LF (V.250 §5.7.1). */
  private final(lines: readonly string[], then?: () => void): void {
    const f = this.f;
    const send = (): void => {
      // A hung modem neither answers nor sends.
      if (f.drop === true) return;
      this.o.write(Buffer.from(lines.map((l) => `\r\n${l}\r\n`).join(''), 'latin1'));
      then?.();
    };
    const slow = f.slowMs ?? 0;
    if (slow > 0) (this.o.later ?? ((fn, ms) => setTimeout(fn, ms)))(send, slow);
    else send();
  }
}
