/**
 * The runtime input of an image whose Nix files read what Nx cannot hash as
 * workspace files: what search-path lookups (`<nixpkgs>`, `<mymods/x.nix>`)
 * resolve to, home paths (`~/.ssh/id.pub`, resolved with the HOME of the
 * process as Nix does), local checkouts and other paths outside the
 * workspace, workspace files git ignores (Nx never hashes those), and the
 * system Nix builds for by default. Nx runs the command on every hash of the
 * target, cache hits included, and hashes what it prints.
 *
 * What it prints for a path: a Nix store path as it is (store paths never
 * change); a single file with the sha256 of its content; a directory with a
 * digest of its tree's names, sizes and modification times, so editing a
 * local nixpkgs checkout changes the hash without reading every file of it;
 * a git-ignored path with the content of its files (bounded), since nothing
 * else records them. It is `node -e`, not a shell pipeline, so it runs the
 * same wherever Nx does.
 *
 * It fails (non-zero, the path named on stderr) rather than print something
 * that would not change when the path does: a path it cannot read (EACCES,
 * EIO), and `/`, the Nix store and the system roots, which it refuses to
 * walk. Only a path that does not exist prints as `<path> missing`: creating
 * it changes the output.
 */

/** Never walked nor fingerprinted: the root, the store, and system roots whose trees are the machine's, not the image's. */
export const SYSTEM_ROOTS: readonly string[] = ['/', '/nix', '/nix/store', '/proc', '/sys', '/dev', '/etc', '/usr', '/var', '/tmp', '/run'];
/** Pseudo file systems: nothing below them is a file to hash (and /proc/self loops). */
const PSEUDO_ROOTS: readonly string[] = ['/proc', '/sys', '/dev'];
/** Lookups a channel image always makes: nix-build's `<nixpkgs/nixos>` and the home-manager module. */
export const CHANNEL_LOOKUPS: readonly string[] = ['nixpkgs', 'home-manager'];
/** Git-ignored trees are hashed by content up to this many files and bytes, beyond by size and time: a hash runs on every cache hit. */
const CONTENT_FILES = 10000;
const CONTENT_BYTES = 64 * 1024 * 1024;

/** Why a path can be neither walked nor fingerprinted, or undefined when it can. */
export function unfingerprintable(path: string): string | undefined {
  if (SYSTEM_ROOTS.includes(path)) return path === '/' ? 'the file system root' : 'a system directory';
  if (PSEUDO_ROOTS.some((root) => path.startsWith(`${root}/`))) return 'in a pseudo file system';
  return undefined;
}

/** What the runtime input fingerprints. */
export interface FingerprintInputs {
  /** Search-path names to resolve as `nix-instantiate --find-file` does (one process for all). */
  lookups?: readonly string[];
  /** Absolute paths outside the workspace. */
  paths?: readonly string[];
  /** Paths relative to the home directory (`.ssh/id.pub` for `~/.ssh/id.pub`). */
  home?: readonly string[];
  /** Workspace-relative paths git ignores, fingerprinted by content. */
  ignored?: readonly string[];
}

/**
 * The script's body: a function `fingerprint(args, env, cwd)` that returns
 * the text to hash or throws an Error whose message names the path. Plain
 * ES2019 in a string, so that `node -e` and an in-process caller run the
 * very same code; written out here, sent as one line (every statement ends
 * in `;`, no comments). `show(label, x, content, where)` prints one path:
 * its line starts with `label` (the real path when empty), followed by the
 * real path when `where` is set.
 */
const BODY = `
const f = require("fs"), p = require("path"), c = require("child_process"), k = require("crypto");
const STORE = "/nix/store", ROOTS = ${JSON.stringify(SYSTEM_ROOTS)}, PSEUDO = ${JSON.stringify(PSEUDO_ROOTS)};
const fail = (x, why) => { const e = new Error("nixiso fingerprint: " + x + ": " + why); e.nixiso = true; throw e; };
const code = (e) => (e && (e.code || e.message)) || String(e);
const gone = (e) => e && (e.code === "ENOENT" || e.code === "ENOTDIR");
const refuse = (x) => {
  if (ROOTS.includes(x) || PSEUDO.some((d) => x.startsWith(d + "/"))) fail(x, "refusing to walk a system directory");
};
const real = (x) => { try { return f.realpathSync(x); } catch (e) { if (gone(e)) return undefined; fail(x, "cannot be read (" + code(e) + ")"); } };
const sha = (x) => { try { return k.createHash("sha256").update(f.readFileSync(x)).digest("hex"); } catch (e) { fail(x, "cannot be read (" + code(e) + ")"); } };
const tree = (d, content) => {
  const h = k.createHash("sha256");
  let files = 0, bytes = 0;
  const walk = (x) => {
    let s;
    try { s = f.lstatSync(x); } catch (e) { if (gone(e)) return; fail(x, "cannot be read (" + code(e) + ")"); }
    const rel = x.slice(d.length) || ".";
    if (s.isDirectory()) {
      let names;
      try { names = f.readdirSync(x); } catch (e) { if (gone(e)) return; fail(x, "cannot be listed (" + code(e) + ")"); }
      h.update(rel + "/\\n");
      for (const n of names.sort()) if (n !== ".git") walk(x + "/" + n);
    } else if (s.isSymbolicLink()) {
      let t;
      try { t = f.readlinkSync(x); } catch (e) { if (gone(e)) return; fail(x, "cannot be read (" + code(e) + ")"); }
      h.update(rel + " -> " + t + "\\n");
    } else if (content && s.isFile() && files < ${CONTENT_FILES} && bytes + s.size <= ${CONTENT_BYTES}) {
      files++; bytes += s.size;
      h.update(rel + " " + sha(x) + "\\n");
    } else {
      h.update(rel + " " + s.size + " " + s.mtimeMs + "\\n");
    }
  };
  walk(d);
  return h.digest("hex");
};
const show = (label, x, content, where) => {
  refuse(x);
  const r = real(x);
  if (r === undefined) return (label || x) + " missing";
  refuse(r);
  const name = label ? (where ? label + " " + r : label) : r;
  if (r.startsWith(STORE + "/")) return label ? label + " " + r : r;
  let s;
  try { s = f.statSync(r); } catch (e) { fail(r, "cannot be read (" + code(e) + ")"); }
  return name + " " + (s.isDirectory() ? tree(r, content) : sha(r));
};
const lookup = (names, env, cwd, out) => {
  let rest = names;
  while (rest.length) {
    let text = "", ok = true;
    try {
      text = c.execFileSync("nix-instantiate", ["--find-file", ...rest], { env, cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      if (e.code === "ENOENT") { for (const n of rest) out.push(n + " unresolved: no nix-instantiate"); return; }
      text = String(e.stdout || ""); ok = false;
    }
    const found = text.split("\\n").filter(Boolean);
    found.forEach((r, i) => out.push(show(rest[i], r, false, true)));
    if (ok || found.length >= rest.length) return;
    out.push(rest[found.length] + " missing");
    rest = rest.slice(found.length + 1);
  }
};
function fingerprint(args, env, cwd) {
  for (const a of args) if (!/^(find|path|home|ignored):/.test(a)) fail(a, "unknown argument");
  const of = (kind) => args.filter((a) => a.startsWith(kind + ":")).map((a) => a.slice(kind.length + 1));
  const out = [process.arch];
  const names = of("find");
  if (names.length) lookup(names, env, cwd, out);
  for (const x of of("path")) out.push(show("", x, false, false));
  const home = env.HOME || require("os").homedir();
  for (const x of of("home")) out.push(show("~/" + x, p.join(home, x), false, false));
  for (const x of of("ignored")) out.push(show(x, p.resolve(cwd, x), true, false));
  return out.join("\\n") + "\\n";
}
`.replace(/\n\s*/g, ' ');

/** What `node -e` runs: the function, applied to its arguments, failing with the message on stderr. */
const SCRIPT = `${BODY}try { process.stdout.write(fingerprint(process.argv.slice(1), process.env, process.cwd())); } catch (e) { process.stderr.write((e && e.nixiso ? e.message : String((e && e.stack) || e)) + "\\n"); process.exitCode = 1; }`;

/** Whether there is anything to fingerprint at all: no runtime input (and no process per hash) otherwise. */
export function hasFingerprintInputs(inputs: FingerprintInputs): boolean {
  return [inputs.lookups, inputs.paths, inputs.home, inputs.ignored].some((list) => !!list?.length);
}

/** The script's arguments: `find:<name>`, `path:<absolute path>`, `home:<path below ~>`, `ignored:<workspace-relative path>`. */
export function fingerprintArgs(inputs: FingerprintInputs): string[] {
  return [
    ...(inputs.lookups ?? []).map((name) => `find:${name}`),
    ...(inputs.paths ?? []).map((path) => `path:${path}`),
    ...(inputs.home ?? []).map((path) => `home:${path}`),
    ...(inputs.ignored ?? []).map((path) => `ignored:${path}`),
  ];
}

/** Arguments for `execFileSync(process.execPath, …)`: the command without a shell, run in the workspace root. */
export function fingerprintNodeArgs(inputs: FingerprintInputs): string[] {
  return ['-e', SCRIPT, ...fingerprintArgs(inputs)];
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The runtime input command, as Nx runs it (through a shell, in the
 * workspace root). Search-path names resolve through NIX_PATH as nix-build
 * will, all in one nix-instantiate.
 */
export function fingerprintCommand(inputs: FingerprintInputs): string {
  return ['node', '-e', shellQuote(SCRIPT), ...fingerprintArgs(inputs).map(shellQuote)].join(' ');
}

/** Whether an Nx runtime input is this fingerprint (what fingerprintCommand writes). */
export function isFingerprintCommand(command: string): boolean {
  return command.startsWith(`node -e ${shellQuote(SCRIPT)}`);
}

/** A fingerprint that could not be taken: the message names the path (unreadable, or a system directory refused). */
export class FingerprintError extends Error {}

type FingerprintFunction = (args: string[], env: NodeJS.ProcessEnv, cwd: string) => string;
let inProcess: FingerprintFunction | undefined;

/**
 * The same computation in this process: what the command would print, run
 * in `cwd` (the workspace root) with `env` (HOME, NIX_PATH). Throws a
 * FingerprintError where the command would fail.
 */
export function fingerprint(inputs: FingerprintInputs, options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  // The script's own text, compiled once: what Nx hashes and what a caller checks cannot drift apart.
  inProcess ??= new Function('require', `${BODY}\nreturn fingerprint;`)(require) as FingerprintFunction;
  try {
    return inProcess(fingerprintArgs(inputs), options.env ?? process.env, options.cwd);
  } catch (error) {
    if (error instanceof Error && (error as Error & { nixiso?: boolean }).nixiso) throw new FingerprintError(error.message);
    throw error;
  }
}
