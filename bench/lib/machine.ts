/**
 * The machine a run was measured on, for RESULTS.md: CPU, cores, OS, Node and SQLite versions,
 * where the temp databases live, the date and the exact command.
 */
import { statfsSync } from 'node:fs';
import { arch, cpus, release, tmpdir, type } from 'node:os';
import { sqliteVersion } from './raw-sqlite.js';

/** What a run was measured on. */
export interface MachineInfo {
  cpuModel: string;
  /** Logical cores (`os.cpus().length`). */
  cores: number;
  os: string;
  node: string;
  sqlite: string;
  /** Directory holding the per-run temp databases. */
  tmpdir: string;
  /** File system of {@link tmpdir} (what `synchronous=FULL` pays for), when recognised. */
  filesystem: string;
  /** ISO date and time the run started. */
  date: string;
  /** The command as typed, e.g. `npm run bench -- --quick`. */
  command: string;
  /** What that command runs. */
  invocation: string;
}

/**
 * Describes this machine and run.
 *
 * @example
 * machineInfo(['--quick'], new Date())
 */
export function machineInfo(args: readonly string[], startedAt: Date): MachineInfo {
  const cpu = cpus();
  const flags = process.execArgv.filter((a) => !a.startsWith('--cpu-prof')).join(' ');
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    os: `${type()} ${release()} ${arch()}`,
    node: process.version,
    sqlite: sqliteVersion(),
    tmpdir: tmpdir(),
    filesystem: filesystemOf(tmpdir()),
    date: startedAt.toISOString(),
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    invocation: `node ${flags} run.ts${args.length > 0 ? ` ${args.join(' ')}` : ''}`,
  };
}

/** Linux `statfs` magic numbers of common file systems. */
const FILESYSTEMS: Record<number, string> = {
  0xef53: 'ext4 (or ext2/3)',
  0x01021994: 'tmpfs (memory: fsync is free)',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x6969: 'nfs',
};

/**
 * The file system `dir` is on, as a phrase for reports (what an fsync there costs depends on it).
 *
 * @example
 * filesystemOf('/tmp') // 'ext4 (or ext2/3)'
 */
export function filesystemOf(dir: string): string {
  try {
    const { type: magic } = statfsSync(dir);
    return FILESYSTEMS[magic] ?? `type 0x${magic.toString(16)}`;
  } catch {
    return 'unknown';
  }
}
