import { runCommand } from './run';

describe('runCommand with a stderr line handler', () => {
  it('hands over every stderr line, the last one without a newline too, and keeps stdout', async () => {
    const lines: string[] = [];
    const r = await runCommand(
      { command: 'sh', args: ['-c', 'echo out; printf "@nix {}\\nplain\\r\\nlast" >&2; exit 3'] },
      { cwd: __dirname, onStderrLine: (line) => lines.push(line) },
    );
    expect(lines).toEqual(['@nix {}', 'plain', 'last']);
    expect(r).toEqual({ exitCode: 3, stdout: 'out\n', stderr: '', interruptedBy: undefined });
  });

  it('waits for stderr written just before the process exits', async () => {
    const lines: string[] = [];
    const r = await runCommand(
      { command: 'sh', args: ['-c', 'i=0; while [ $i -lt 5000 ]; do echo "line $i" >&2; i=$((i+1)); done'] },
      { cwd: __dirname, onStderrLine: (line) => lines.push(line) },
    );
    expect(r.exitCode).toBe(0);
    expect(lines).toHaveLength(5000);
    expect(lines[4999]).toBe('line 4999');
  });

  it('resolves when the command does not exist', async () => {
    const r = await runCommand({ command: 'nixiso-no-such-command', args: [] }, { cwd: __dirname, onStderrLine: () => undefined });
    expect(r.exitCode).not.toBe(0);
  });
});
