#!/usr/bin/env node
/**
 * The `offstage` executable: runs the CLI on this process's arguments and exits with its code.
 * It must stay this thin; everything testable lives in `run-cli.ts`.
 */
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2));
// A handler that ignored its abort signal may still hold a timer; do not let it keep a finished CLI alive.
setTimeout(() => process.exit(), 2000).unref();
