import type { BinaryCacheConfig } from '../../nix/binary-cache';

/** The push target's options: the `binaryCache` plugin option, overridable per project. */
export type PushExecutorSchema = BinaryCacheConfig;
