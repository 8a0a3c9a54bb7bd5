export * from './stand-ins';
export * from './workspace';
export * from './iso';
export * from './nx-cache-server';
export * from './differential';
