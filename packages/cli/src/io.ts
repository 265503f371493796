/** Where a command writes: whole lines to stdout and stderr, and (on a terminal) one live status line. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Replace the live status line; undefined when the output is not a terminal (no progress is shown). */
  progress?: ((text: string) => void) | undefined;
  /** Clear the live status line before the final output. */
  clearProgress?: (() => void) | undefined;
  /** All of stdin, for commands that read it ('' when stdin is a terminal). */
  readStdin?: (() => Promise<string>) | undefined;
}

/** The process's stdout and stderr; the live line only when stdout is a TTY. */
export function processIo(): Io {
  const tty = process.stdout.isTTY === true;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: tty ? (text) => process.stdout.write(`\r\x1b[2K${text}`) : undefined,
    clearProgress: tty ? () => process.stdout.write('\r\x1b[2K') : undefined,
    readStdin: async () => {
      if (process.stdin.isTTY) return '';
      let text = '';
      for await (const chunk of process.stdin) text += chunk;
      return text;
    },
  };
}

/** An Io that keeps every line (tests, and callers that want the text); `stdin` is what it reads. */
export function bufferIo(stdin = ''): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    readStdin: async () => stdin,
  };
}
