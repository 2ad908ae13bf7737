/**
 * Line endings, made one for the parser. Papaparse splits records on a single
 * newline string, but a file may mix CRLF, LF and CR (exports pasted together),
 * so every CRLF and every lone CR becomes LF before parsing. Inside quoted cells
 * too: a line break in a cell is stored as LF, whatever the file used.
 *
 * Each CRLF → LF shortens the text by one character. Where that happened is
 * remembered, so that a parser cursor over the normalised text maps back to the
 * exact length of the original text (the byte checkpoint is taken from it).
 */
export class LineEndingNormaliser {
  /** The previous text ended with CR: whether it is a CRLF depends on the next character. */
  private heldCr = false;
  /** Positions in the normalised stream of LFs that stood for a CRLF, from `first` on not yet consumed. */
  private merged: number[] = [];
  private first = 0;
  private produced = 0;
  private consumed = 0;

  /** Normalises the next decoded text. A CR at its end is held back for the next call (`final` flushes it). */
  push(decoded: string, final: boolean): string {
    let text = decoded;
    if (this.heldCr) {
      text = `\r${text}`;
      this.heldCr = false;
    }
    if (!final && text.endsWith("\r")) {
      this.heldCr = true;
      text = text.slice(0, -1);
    }
    let cr = text.indexOf("\r");
    if (cr === -1) {
      this.produced += text.length;
      return text;
    }
    const parts: string[] = [];
    let from = 0;
    for (; cr !== -1; cr = text.indexOf("\r", from)) {
      parts.push(text.slice(from, cr));
      this.produced += cr - from + 1;
      if (text.charCodeAt(cr + 1) === 10) {
        this.merged.push(this.produced - 1);
        from = cr + 2;
      } else from = cr + 1;
    }
    parts.push(text.slice(from));
    this.produced += text.length - from;
    return parts.join("\n");
  }

  /** Marks the next `n` normalised characters consumed; returns how many of them stood for a CRLF. */
  consume(n: number): number {
    this.consumed += n;
    const start = this.first;
    while (this.first < this.merged.length && (this.merged[this.first] as number) < this.consumed) this.first++;
    const count = this.first - start;
    if (this.first === this.merged.length) {
      this.merged = [];
      this.first = 0;
    } else if (this.first > 4096) {
      this.merged = this.merged.slice(this.first);
      this.first = 0;
    }
    return count;
  }
}
