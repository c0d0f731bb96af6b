/** Where commands write: injectable so tests and JSON output stay clean. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** True when writing to the process's own streams (spinners may draw there). */
  isConsole: boolean;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isConsole: true,
};

/** Prints JSON for --json, or the lines a person reads. */
export function emit(output: Output, json: boolean | undefined, value: unknown, lines: () => string[]): void {
  if (json) output.out(JSON.stringify(value, null, 2));
  else for (const line of lines()) output.out(line);
}
