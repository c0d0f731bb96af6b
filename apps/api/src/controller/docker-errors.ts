/** The HTTP status of a Docker Engine API error (dockerode sets statusCode), if any. */
export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

/** A catch handler that lets Docker errors of these statuses pass (already gone, in use) and rethrows the rest. */
export function ignore(...statuses: number[]): (error: unknown) => void {
  return (error) => {
    if (!statuses.includes(statusOf(error) ?? 0)) throw error;
  };
}
