import pc from 'picocolors';

/** Where commands write: injectable so tests and JSON output stay clean. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** True when writing to the process's own streams (spinners may draw there). */
  isConsole: boolean;
  /** Styles for what out() writes; plain text when absent. */
  colors?: ReturnType<typeof pc.createColors>;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isConsole: true,
  // picocolors honours NO_COLOR and FORCE_COLOR, but also colours under CI: a pipe or file stays plain.
  colors: pc.createColors(pc.isColorSupported && Boolean(process.stdout.isTTY)),
};

/** Prints JSON for --json, or the lines a person reads. */
export function emit(output: Output, json: boolean | undefined, value: unknown, lines: () => string[]): void {
  if (json) output.out(JSON.stringify(value, null, 2));
  else for (const line of lines()) output.out(line);
}
