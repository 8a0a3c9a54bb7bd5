/**
 * The smallest server of Nx's self-hosted remote cache protocol, storing
 * every entry as one file in a directory: test infrastructure for "two
 * machines share one Nx cache", never part of the plugin.
 *
 * Why our own: Nx ≥ 20.8 talks to any server of its OpenAPI spec when
 * NX_SELF_HOSTED_REMOTE_CACHE_SERVER is set (PUT/GET /v1/cache/{hash}, tar
 * archives as application/octet-stream, optional bearer token from
 * NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN); Nx 23.2.1 serves it from its
 * native HttpRemoteCache with no licence check (node_modules/nx/dist/src/
 * tasks-runner/cache.js, getHttpCache). The directory-backed alternatives on
 * npm are not usable here: @nx/shared-fs-cache is licensed "Commercial",
 * needs an activation key and declares nx < 23; nx-remotecache-custom is
 * deprecated and built on the custom task runners Nx 21 removed; the servers
 * of the spec we found are Go binaries / container images, not npm packages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

const ENTRY = /^\/v1\/cache\/([A-Za-z0-9_-]+)$/;

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

/** An HTTP server of the protocol over `dir`; `log` hears `GET <hash> 200`-style lines. */
export function createNxCacheServer(dir: string, token?: string, log: (line: string) => void = () => undefined): Server {
  mkdirSync(dir, { recursive: true });
  return createServer(async (req, res) => {
    const hash = ENTRY.exec(req.url ?? '')?.[1];
    const done = (status: number, text = '') => {
      log(`${req.method} ${hash ?? req.url} ${status}`);
      reply(res, status, text);
    };
    if (!hash) return done(404, 'not found');
    if (token && req.headers.authorization !== `Bearer ${token}`) return done(401, 'missing or invalid bearer token');
    const file = join(dir, hash);
    if (req.method === 'GET') {
      if (!existsSync(file)) return done(404, 'no such entry');
      log(`GET ${hash} 200`);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size });
      createReadStream(file).pipe(res);
      return;
    }
    if (req.method === 'PUT') {
      if (existsSync(file)) return done(409, 'cannot override an existing record');
      const body = await readBody(req);
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, body);
      renameSync(partial, file);
      return done(200);
    }
    return done(405, 'method not allowed');
  });
}

export interface NxCacheServer {
  /** For NX_SELF_HOSTED_REMOTE_CACHE_SERVER. */
  url: string;
  /** For NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN. */
  token: string;
  /** Environment for `ws.nx(args, env)`. */
  env: NodeJS.ProcessEnv;
  /** Requests served so far: `GET <hash> 200`, `PUT <hash> 200`, … (read from a log file: `nx()` blocks our event loop). */
  requests(): string[];
  stop(): Promise<void>;
}

/**
 * Serves `dir` from a child process on 127.0.0.1 (a random port): the test
 * workspace's `nx()` is synchronous and would block a server living in the
 * jest process.
 */
export function startNxCacheServer(dir: string, token = `nixiso-${process.pid}-${Date.now()}`): Promise<NxCacheServer> {
  const log = `${dir}.requests.log`;
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', __filename, dir, token, log], {
    cwd: join(__dirname, '../../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done, fail) => {
    let buffered = '';
    child.on('exit', (code) => fail(new Error(`the Nx cache server exited (${code}) before listening`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        const listening = /^listening (\S+)$/.exec(line);
        if (!listening) continue;
        const url = listening[1];
        done({
          url,
          token,
          env: { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token },
          requests: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
          stop: () =>
            new Promise((stopped) => {
              child.removeAllListeners('exit');
              if (child.exitCode !== null) return stopped();
              child.once('exit', () => stopped());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

if (require.main === module) {
  const [dir, token, log] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: nx-cache-server <dir> [token] [request-log]');
    process.exit(2);
  }
  const server = createNxCacheServer(dir, token || undefined, (line) => (log ? appendFileSync(log, `${line}\n`) : console.log(line)));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') console.log(`listening http://127.0.0.1:${address.port}`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
