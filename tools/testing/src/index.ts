export * from './nix-env';
export * from './workspace';
export * from './iso';
export * from './nx-cache-server';
export * from './article';
export * from './differential';
