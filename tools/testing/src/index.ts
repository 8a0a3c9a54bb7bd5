export * from './nix-env';
export * from './workspace';
export * from './iso';
