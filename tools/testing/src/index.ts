export * from './nix-env';
