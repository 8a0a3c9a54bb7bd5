/**
 * The runtime input of an image whose Nix files read what Nx cannot hash as
 * workspace files: the channels `<nixpkgs>` / `<home-manager>` resolve to
 * (channel layouts), local checkouts outside the workspace, and the system
 * Nix builds for by default. Nx runs the command on every hash of the
 * target, cache hits included, and hashes what it prints.
 *
 * What it prints for a path: a Nix store path as it is (store paths never
 * change); any other path with a digest of its tree's names, sizes and
 * modification times, so editing a local nixpkgs checkout changes the hash
 * without reading every file of it. It is `node -e`, not a shell pipeline,
 * so it runs the same wherever Nx does.
 */

const SCRIPT = [
  'const f=require("fs"),p=require("path"),c=require("child_process");',
  'const [mode,...paths]=process.argv.slice(1),out=[process.arch];',
  'const tree=(d)=>{const h=require("crypto").createHash("sha256");',
  'const w=(x)=>{let s;try{s=f.lstatSync(x)}catch{return}',
  'if(s.isDirectory()){for(const e of f.readdirSync(x).sort())if(e!==".git")w(p.join(x,e))}',
  'else h.update(x.slice(d.length)+" "+s.size+" "+s.mtimeMs+"\\n")};w(d);return h.digest("hex")};',
  'const show=(x)=>{let r;try{r=f.realpathSync(x)}catch{return x+" missing"}',
  'return r.startsWith("/nix/store/")?r:r+" "+tree(r)};',
  'if(mode==="channels"){let s="";',
  'try{s=c.execFileSync("nix-instantiate",["--find-file","nixpkgs","home-manager"],{encoding:"utf8",stdio:["ignore","pipe","ignore"]})}',
  'catch(e){s=String(e.stdout||"")}',
  'for(const l of s.split("\\n"))if(l)out.push(show(l))}',
  'for(const x of paths)out.push(show(x));',
  'console.log(out.join("\\n"))',
].join('');

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The runtime input command: `channels` resolves `<nixpkgs>` and
 * `<home-manager>` through NIX_PATH as nix-build will (one nix-instantiate
 * for both); `paths` are absolute paths outside the workspace.
 */
export function fingerprintCommand(options: { channels: boolean; paths: readonly string[] }): string {
  return ['node', '-e', shellQuote(SCRIPT), options.channels ? 'channels' : 'paths', ...options.paths.map(shellQuote)].join(' ');
}
