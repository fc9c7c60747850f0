/**
 * `offstage doctor`: what each constraint tracker sees on this machine, which constraints this
 * platform can honour (and which it can only assume), and the engine's platform status and
 * guarantees. The report itself lives in `src/doctor/`. It never opens the database; `--db` only
 * says whose file system the storage reading is about.
 */
import type { Command } from 'commander';
import { checkProbeUrl, dbPath, printJson, printLines, withCommonOptions, type CliIo, type CommonOptions } from '../cli-io.js';
import { formatDoctorReport, readDoctorReport } from '../doctor/doctor-report.js';

interface DoctorCommandOptions extends CommonOptions {
  probe?: string;
}

/**
 * Registers `offstage doctor` on the program.
 *
 * @example
 * doctorCommand(program, io)
 * // $ offstage doctor
 * // $ offstage doctor --probe https://api.example.com/health --json
 */
export function doctorCommand(program: Command, io: CliIo): Command {
  return withCommonOptions(program.command('doctor').description("what this machine's constraint trackers see, which constraints it can honour, and the platform's guarantees"))
    .option('--probe <url>', 'also check that this URL is reachable (HEAD), as trackerOptions.probeUrl would')
    .action(async (options: DoctorCommandOptions) => {
      if (options.probe !== undefined) checkProbeUrl(options.probe);
      const report = await readDoctorReport({ db: dbPath(io, options.db), probeUrl: options.probe });
      if (options.json) printJson(io, report);
      else printLines(io, formatDoctorReport(report));
    });
}
