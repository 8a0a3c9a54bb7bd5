/**
 * Preloaded into every Node process of a profiled Nx run
 * (`NODE_OPTIONS=--require <this file>`): Node 20 refuses `--cpu-prof` in
 * NODE_OPTIONS, and Nx starts its plugin workers with explicit arguments, so
 * `node --cpu-prof nx.js` alone would profile the CLI process only. Writes a
 * .cpuprofile into NIXISO_CPU_PROF_DIR when the process exits or is stopped.
 */
'use strict';
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.NIXISO_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      // Plugin workers get the plugin's name as their third argument.
      const worker = /plugin-worker/.test(process.argv[1] || '') ? `_${(process.argv[3] || '').replace(/[^\w@.-]+/g, '-')}` : '';
      const script = (process.argv[1] || 'node').split('/').slice(-2).join('_') + worker;
      writeFileSync(join(dir, `${process.pid}-${script}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.on('exit', write);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      write();
      process.exit(128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 1));
    });
  }
}
