// Tests run under `nx run-many`, which puts its own NX_* variables (task
// hash, NX_SKIP_NX_CACHE, the workspace root, output settings …) into the
// environment. The Nx CLI that tests start in throw-away workspaces must not
// inherit them, or it would skip its cache or look at this repository.
// FORCE_COLOR (set by Nx for its tasks) would colour what tests read.
for (const key of Object.keys(process.env)) {
  if (key.startsWith('NX_') || key === 'FORCE_COLOR') delete process.env[key];
}
