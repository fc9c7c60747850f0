/**
 * offstage for Node.js: the engine and everything in @offstage/core, plus the Node preset
 * (`createOffstage`, on SQLite), croner's cron parser, the file-watch scheduler, this machine's
 * constraint trackers and the tasks-module loader, so one install is enough. Test helpers live in
 * `offstage/testing`. It must never start anything (or read a tracker) on import.
 */
export * from '@offstage/core';
export { cronerParser } from '@offstage/cron';
export * from './create-offstage.js';
export * from './schedulers/file-watch-scheduler.js';
export * from './trackers/node-trackers.js';
export { readPower, UNKNOWN_POWER, type PowerReading } from './trackers/power-readings.js';
export * from './load-tasks-module.js';
export { runCli } from './run-cli.js';
