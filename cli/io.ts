// Where a command writes: stdout and stderr in the CLI, arrays in tests.

export interface Io {
  out(line: string): void;
  err(line: string): void;
}
