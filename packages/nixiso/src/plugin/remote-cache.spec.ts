import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempTree, workspaceRoot } from '@nixiso/testing';
import { remoteCacheOf, restoresCacheHits } from './remote-cache';

describe('remoteCacheOf', () => {
  it('names each kind of remote cache Nx can take hits from', () => {
    expect(remoteCacheOf({}, {})).toBeUndefined();
    expect(remoteCacheOf({}, { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: 'http://cache' })).toBe('NX_SELF_HOSTED_REMOTE_CACHE_SERVER');
    expect(remoteCacheOf({}, { NX_CLOUD_ACCESS_TOKEN: 't' })).toBe('NX_CLOUD_ACCESS_TOKEN');
    expect(remoteCacheOf({ nxCloudId: 'abc' }, {})).toBe('nx.json "nxCloudId"');
    expect(remoteCacheOf({ s3: { bucket: 'b' } }, {})).toBe('nx.json "s3"');
    expect(remoteCacheOf({ sharedFs: { path: '/mnt' } }, {})).toBe('nx.json "sharedFs"');
    expect(remoteCacheOf({ tasksRunnerOptions: { default: { runner: 'nx-remotecache-custom' } } }, {})).toBe('tasksRunnerOptions.default.runner');
    expect(remoteCacheOf({ tasksRunnerOptions: { default: { runner: 'nx/tasks-runners/default', options: { accessToken: 'x' } } } }, {})).toBe(
      'tasksRunnerOptions.default.options',
    );
    expect(remoteCacheOf({ tasksRunnerOptions: { default: { runner: 'nx/tasks-runners/default', options: {} } } }, {})).toBeUndefined();
  });

  it('Nx Cloud switched off (NX_NO_CLOUD, neverConnectToCloud) is no remote cache; a self-hosted one still is', () => {
    expect(remoteCacheOf({ nxCloudId: 'abc' }, { NX_NO_CLOUD: 'true' })).toBeUndefined();
    expect(remoteCacheOf({ neverConnectToCloud: true }, { NX_CLOUD_ACCESS_TOKEN: 't' })).toBeUndefined();
    expect(remoteCacheOf({ neverConnectToCloud: true, gcs: {} }, {})).toBe('nx.json "gcs"');
  });
});

describe('restoresCacheHits', () => {
  const nxJson = (json: unknown) => tempTree({ 'nx.json': JSON.stringify(json) }, 'nixiso-remote-cache-');

  it('the plugin option restoreCacheHits decides when set; else whether a remote cache is configured', () => {
    expect(restoresCacheHits(nxJson({ plugins: ['@nixiso/nx'] }), {})).toBe(false);
    expect(restoresCacheHits(nxJson({ plugins: ['@nixiso/nx'], nxCloudId: 'x' }), {})).toBe(true);
    expect(restoresCacheHits(nxJson({ plugins: [{ plugin: '@nixiso/nx', options: { restoreCacheHits: true } }] }), {})).toBe(true);
    expect(restoresCacheHits(nxJson({ plugins: [{ plugin: '@nixiso/nx', options: { restoreCacheHits: false } }], nxCloudId: 'x' }), {})).toBe(false);
  });

  it('an nx.json it cannot read registers the hook: the safe side', () => {
    expect(restoresCacheHits(tempTree({ 'nx.json': '{ // a comment\n}' }, 'nixiso-remote-cache-'), {})).toBe(true);
  });
});

describe('the plugin entry', () => {
  /** `typeof postTasksExecution` of the entry, loaded as Nx loads it in a workspace with this nx.json. */
  const hookType = (json: unknown, env: NodeJS.ProcessEnv = {}) => {
    const root = tempTree({ 'nx.json': JSON.stringify(json) }, 'nixiso-entry-');
    const script = `process.stdout.write(typeof require(${JSON.stringify(join(__dirname, '../index.ts'))}).postTasksExecution)`;
    const { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: _s, NX_CLOUD_ACCESS_TOKEN: _t, ...base } = process.env;
    return execFileSync(process.execPath, ['-r', join(workspaceRoot, 'node_modules/@swc-node/register'), '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...base, NX_WORKSPACE_ROOT_PATH: root, ...env },
    });
  };

  it('exports no task hook without a remote cache, so that Nx starts no worker for it after each command', () => {
    expect(hookType({ plugins: ['@nixiso/nx'] })).toBe('undefined');
    expect(hookType({ plugins: ['@nixiso/nx'] }, { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: 'http://cache' })).toBe('function');
    expect(hookType({ plugins: [{ plugin: '@nixiso/nx', options: { restoreCacheHits: true } }] })).toBe('function');
  });
});
