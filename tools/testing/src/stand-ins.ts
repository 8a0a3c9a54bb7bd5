/**
 * The offline Nix environment (Nix pointed at the stand-ins) and the
 * article the stand-ins build, offered with the rest of the test tooling.
 * They live in tools/nix-fixtures, beside what they are about: its own
 * tests use them, and this project builds on it, never the other way.
 */
// eslint-disable-next-line @nx/enforce-module-boundaries -- a relative path on purpose: bench and demo load this under @swc-node/register, which resolves no tsconfig paths from the repository root
export * from '../../nix-fixtures/src/nix-env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- relative, as the line above
export * from '../../nix-fixtures/src/article';
