/**
 * A one-line progress bar on a terminal (stderr), redrawn at most 10 times a second; silent elsewhere so logs
 * and pipes stay clean. It is drawn only when the log lines do not share that terminal (`-q`, or stdout
 * redirected), since log lines written between two redraws would tear the bar; with the log on the terminal the
 * `Progress: <done>/<total> runs processed` lines show the same.
 *
 * @example
 * ```ts
 * const bar = Progress.forTerminal(true);
 * bar.start("Import", 50);
 * bar.tick(true);
 * bar.end();
 * ```
 *
 * @module
 */

const WIDTH = 30;

/** Progress of one stage batch. */
export class Progress {
  readonly #out: { write(text: string): void } | null;
  #label = "";
  #total = 0;
  #done = 0;
  #failed = 0;
  #lastDraw = 0;

  constructor(out: { write(text: string): void } | null) {
    this.#out = out;
  }

  /** A bar on stderr when it is a terminal not shared with info log lines (see the module doc), else silent. */
  static forTerminal(quiet: boolean): Progress {
    let terminal = false;
    try {
      terminal = Deno.stderr.isTerminal() && (quiet || !Deno.stdout.isTerminal());
    } catch { /* no stderr */ }
    const encoder = new TextEncoder();
    return new Progress(terminal ? { write: (text) => Deno.stderr.writeSync(encoder.encode(text)) } : null);
  }

  /** Begin a batch of `total` runs. */
  start(label: string, total: number): void {
    this.#label = label;
    this.#total = total;
    this.#done = 0;
    this.#failed = 0;
    this.#lastDraw = 0;
    this.#draw(true);
  }

  /** One run finished. */
  tick(ok: boolean): void {
    this.#done++;
    if (!ok) this.#failed++;
    this.#draw(this.#done === this.#total);
  }

  /** Clear the line. */
  end(): void {
    if (this.#out && this.#total > 0) this.#out.write("\r\x1b[K");
  }

  #draw(force: boolean): void {
    if (!this.#out || this.#total === 0) return;
    const now = performance.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const filled = Math.round((this.#done / this.#total) * WIDTH);
    const bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
    const failed = this.#failed ? `, ${this.#failed} failed` : "";
    this.#out.write(`\r\x1b[K${this.#label} [${bar}] ${this.#done}/${this.#total}${failed}`);
  }
}
